// GitHub Actions → AWS OIDC federation for the workflow that deploys this stack: GitHub's IAM OIDC
// provider (or the one the account already has), a deploy role that one repository's default
// branch — or one of its GitHub environments — can assume, with the least permissions that deploy
// the Keyless stack without `cdk bootstrap` and run `pnpm verify`, and two permissions boundaries.
// The rules it builds on are in github-naming.ts (no aws-cdk-lib).
//
// Why two boundaries: creating and editing the Vercel roles is part of deploying the stack, and a
// role that may write roles' policies could otherwise write one (or itself) `*:*`. So the Vercel
// roles carry the app boundary (the app bucket's objects, nothing else), every role write of the
// deploy role requires `iam:PermissionsBoundary` = the app boundary, and the deploy role itself
// carries the deploy boundary: it cannot edit itself (it lacks the app boundary), cannot give a
// Vercel role more than the app boundary, and cannot change or remove either boundary. It creates
// no role and changes no role's trust or provider at all: a role it made, or a trust it rewrote,
// could hand the app bucket to anyone for good (administrator deploys).

import { Aws, CfnResource, Duration, Lazy, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { ADMINISTRATOR_ONLY_ACTIONS, appResourceService } from "./app-resource-naming";
import { acknowledgeAppResourceScopes, appResourceScope } from "./app-resource-scope";
import type { AppResource } from "./app-resources";
import {
  APP_BUCKET_LOGICAL_IDS,
  GITHUB_DEPLOY_ROLE_LOGICAL_ID,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST_PATH,
  GITHUB_OIDC_ISSUER,
  githubAppBoundaryName,
  githubDeployBoundaryName,
  githubProviderArnProblem,
  VERCEL_ROLE_LOGICAL_ID_PREFIX,
} from "./github-naming";

/** The native `AWS::IAM::OIDCProvider` for GitHub's issuer, client id `sts.amazonaws.com`. */
export class GithubOidcProvider extends iam.OidcProviderNative {
  /** Reuses the account's provider (one per URL per account); throws unless it is GitHub's. */
  static fromProviderArn(scope: Construct, id: string, providerArn: string): iam.IOidcProvider {
    const problem = githubProviderArnProblem(providerArn);
    if (problem) throw new Error(`Existing GitHub OIDC provider: ${problem}`);
    return iam.OidcProviderNative.fromOidcProviderArn(scope, id, providerArn);
  }

  constructor(scope: Construct, id: string) {
    super(scope, id, { url: GITHUB_OIDC_ISSUER, clientIds: [GITHUB_OIDC_AUDIENCE] });
  }
}

/** One statement of the deploy role's policy, with the reason it is there (also the README's). */
export interface DeployPermission {
  readonly actions: readonly string[];
  /**
   * This stack's own: `stack`, `vercelRoles` (`<stack>-VercelRole*`), `roles` (those and
   * `<stack>-GithubDeployRole*`), `boundaries` (both), `providers`, `buckets` (the app bucket and
   * its log bucket); or `*` (no resource-level IAM, or a Deny meant for every resource).
   */
  readonly scope: "stack" | "vercelRoles" | "roles" | "boundaries" | "providers" | "buckets" | "*";
  /** Only with `iam:PermissionsBoundary` = the app boundary: the role acted on carries it. */
  readonly withAppBoundary?: true;
  /**
   * Only for change sets whose template uses no resource type but this stack's own, read from
   * the synthesized stack (`cloudformation:ResourceTypes`): no Lambda-backed custom resource, no
   * activated third-party type, nothing a later template adds without an administrator deploy.
   */
  readonly ownResourceTypesOnly?: true;
  readonly why: string;
}

/**
 * The deploy role's permissions. The CDK CLI deploys with the caller's own credentials (no
 * bootstrap roles), and CloudFormation then makes every resource call with those credentials too,
 * so the list is: the CLI's CloudFormation calls, what CloudFormation calls for each resource type
 * in the template (AWS::IAM::Role, AWS::IAM::Policy, AWS::IAM::OIDCProvider, AWS::S3::Bucket,
 * AWS::S3::BucketPolicy, AWS::IAM::ManagedPolicy), and the reads `pnpm verify` makes. Each scoped
 * to this stack's own resources where IAM allows it. No delete of buckets: they are retained.
 *
 * The only role writes are a Vercel role's inline policies (PutRolePolicy, DeleteRolePolicy: IAM
 * documents the `iam:PermissionsBoundary` key for both), on roles that carry the app boundary.
 * TagRole, UntagRole and the reads do not take the key: scoped to the stack's role names only
 * (tags to the Vercel roles, so the deploy role cannot set its own principal tags).
 *
 * Not here, so an administrator deploys them (DEPLOY_DENIALS): creating, deleting or updating a
 * role and its trust (a new `<stack>-VercelRole…` trusting anyone would keep the app bucket's data
 * open after the run, unseen by verify, which checks the stack's outputs), any provider write
 * (deleting the account's GitHub provider breaks every GitHub→AWS role of the account; a provider
 * may be shared), a role's boundary (its key is the boundary being set, so the role could adopt
 * any unbounded role), a bucket's policy, public access block and ownership controls (resource
 * policies, which no boundary caps), its lifecycle, versioning, logging and encryption (a run
 * could expire every object and version, or switch protections off), and bucket creation (it sets
 * the public access block). Nor is the deploy role's own policy or trust: it carries the deploy
 * boundary, not the app boundary its role writes require.
 */
export const DEPLOY_PERMISSIONS: readonly DeployPermission[] = [
  {
    actions: [
      "cloudformation:DescribeStacks",
      "cloudformation:DescribeStackResources",
      "cloudformation:DescribeStackEvents",
      "cloudformation:GetTemplate",
      "cloudformation:DescribeChangeSet",
      "cloudformation:ExecuteChangeSet",
      "cloudformation:DeleteChangeSet",
    ],
    scope: "stack",
    why: "cdk deploy: read the stack and its template, deploy through a change set, follow its events (verify: DescribeStacks for status and outputs, DescribeStackResources for the roles and bucket it checks)",
  },
  {
    actions: ["cloudformation:CreateChangeSet"],
    scope: "stack",
    ownResourceTypesOnly: true,
    why: "cdk deploy: the change set, only with the resource types the stack was synthesized with (a new type, such as a Lambda-backed custom resource, needs an administrator deploy)",
  },
  {
    actions: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
    scope: "vercelRoles",
    withAppBoundary: true,
    why: "AWS::IAM::Policy, the Vercel roles' inline policies, only on roles that carry the app boundary: no role this role edits can do more than the app bucket's objects, and it cannot edit itself",
  },
  {
    actions: ["iam:TagRole", "iam:UntagRole"],
    scope: "vercelRoles",
    why: "AWS::IAM::Role tags of the Vercel roles (no policy here tests a tag, so tags grant nothing); not the deploy role's, so it cannot set its own principal tags",
  },
  {
    actions: [
      "iam:GetRole",
      "iam:ListRoleTags",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
    ],
    scope: "roles",
    why: "AWS::IAM::Role reads of this stack's roles; verify reads each role's trust and policies",
  },
  {
    actions: ["iam:GetPolicy", "iam:GetPolicyVersion"],
    scope: "boundaries",
    why: "AWS::IAM::ManagedPolicy, the two boundaries: read only, so a run can show the ceilings it works under. A deploy that leaves them alone makes no call on them; one that changes them fails here (no policy-editing action is granted): change them with an administrator profile",
  },
  {
    actions: ["iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags"],
    scope: "providers",
    why: "AWS::IAM::OIDCProvider of Vercel's and GitHub's issuers, read only: their URL and client ids are constants of the stack, so a deploy changes neither (every provider write is denied); verify reads the provider's client ids",
  },
  {
    actions: ["iam:ListOpenIDConnectProviders"],
    scope: "*",
    why: "verify finds the provider by URL; IAM has no resource-level permission for this list call",
  },
  {
    actions: [
      "s3:GetBucketLocation",
      "s3:GetBucketPolicy",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketVersioning",
      "s3:GetLifecycleConfiguration",
      "s3:GetBucketLogging",
      "s3:PutBucketCORS",
      "s3:GetBucketCORS",
      "s3:PutBucketTagging",
      "s3:GetBucketTagging",
      "s3:GetBucketOwnershipControls",
    ],
    scope: "buckets",
    why: "AWS::S3::Bucket CORS and tags of the app and log buckets, reads of their other settings and of their AWS::S3::BucketPolicy (TLS only, log delivery), public access block and ownership; encryption, versioning, lifecycle and logging are constants of the stack (denied: administrator deploys); no CreateBucket or DeleteBucket: creating one sets its public access block (an administrator deploy), and both are retained",
  },
  {
    actions: ["cloudtrail:LookupEvents"],
    scope: "*",
    why: "verify's CloudTrail check; LookupEvents has no resource-level permission",
  },
];

/** The policy edits denied on both boundaries. */
export const BOUNDARY_POLICY_EDITS = [
  "iam:CreatePolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:DeletePolicy",
  "iam:DeletePolicyVersion",
] as const;

/** Bucket settings that protect the data: constants of the stack, denied to a run. */
export const BUCKET_PROTECTION_CHANGES = [
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutBucketLogging",
  "s3:PutEncryptionConfiguration",
] as const;

/** Every OIDC provider write: denied to a run on every provider. */
export const PROVIDER_WRITES = [
  "iam:CreateOpenIDConnectProvider",
  "iam:DeleteOpenIDConnectProvider",
  "iam:AddClientIDToOpenIDConnectProvider",
  "iam:RemoveClientIDFromOpenIDConnectProvider",
  "iam:UpdateOpenIDConnectProviderThumbprint",
  "iam:TagOpenIDConnectProvider",
  "iam:UntagOpenIDConnectProvider",
] as const;

/** A new role, or a role's trust rewritten: denied to a run on every role. */
export const ROLE_TRUST_WRITES = ["iam:CreateRole", "iam:UpdateAssumeRolePolicy"] as const;

/**
 * Explicit denials, in the deploy role's policy and in the deploy boundary. Neither grants these
 * anyway; the Deny says so where a reader looks and still holds if an Allow is ever widened.
 */
export const DEPLOY_DENIALS: readonly DeployPermission[] = [
  {
    actions: ["iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"],
    scope: "*",
    why: "no role's boundary is set, changed or removed by a run: setting one would adopt a role made by hand (the condition key is the boundary being set), removing one would leave the role's own policy as its only limit. CloudFormation calls these only when a role's boundary changes: an administrator deploy",
  },
  {
    actions: [...BOUNDARY_POLICY_EDITS],
    scope: "boundaries",
    why: "neither boundary can be rewritten, rolled to another version, or deleted and recreated by a run: only an administrator deploy changes them",
  },
  {
    actions: [
      "s3:PutBucketPolicy",
      "s3:DeleteBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketOwnershipControls",
    ],
    scope: "*",
    why: "a bucket policy grants access no boundary caps (to another account, or anyone), and the public access block and ownership controls guard against it: a run changes none of them, an administrator deploy does",
  },
  {
    actions: [...BUCKET_PROTECTION_CHANGES],
    scope: "*",
    why: "a lifecycle rule could expire every object and version (the access logs too), and versioning, logging and encryption are the buckets' protections: all constants of the stack, so a run changes none of them, an administrator deploy does",
  },
  {
    actions: [...PROVIDER_WRITES],
    scope: "*",
    why: "a provider's URL and client ids are constants of the stack, so a deploy never changes one; a run could otherwise delete the account's GitHub provider (every GitHub→AWS role of the account stops working) or a provider another stack shares. A new client id (VERCEL_OIDC_AUDIENCE) or provider is an administrator deploy",
  },
  {
    actions: [...ROLE_TRUST_WRITES],
    scope: "*",
    why: "a new role (even under the app boundary) or a rewritten trust could let any principal, or another repository through GitHub's provider, use the app bucket after the run, unseen by verify (which checks the stack's outputs): adding or removing a Vercel environment and any trust change are administrator deploys",
  },
];

/** A managed policy whose name and description are create-only (see the constructor). */
abstract class FixedNamePolicy extends iam.ManagedPolicy {
  constructor(scope: Construct, id: string, props: iam.ManagedPolicyProps) {
    // Name and description are create-only: changing either makes CloudFormation replace the
    // policy (delete, then create: one name cannot exist twice) under roles that all name it
    // as their boundary. Keep both fixed; the document may change (administrator deploy).
    super(scope, id, props);
  }
}

export interface AppBoundaryProps {
  /** The stack whose Vercel roles it caps. */
  readonly stackName: string;
  /** What the Vercel roles may ever be granted (the app bucket's objects). */
  readonly statements: readonly iam.PolicyStatement[];
}

/**
 * The app boundary: the most a Vercel role may ever do, and the boundary every role the deploy
 * role creates or edits must carry. Apply it to the stack's roles (`iam.PermissionsBoundary.of`);
 * the deploy role overrides it with the deploy boundary.
 */
export class AppBoundary extends FixedNamePolicy {
  constructor(scope: Construct, id: string, props: AppBoundaryProps) {
    super(scope, id, {
      managedPolicyName: githubAppBoundaryName(props.stackName),
      description: `App boundary of ${props.stackName}: the most its Vercel roles may do`,
      statements: [...props.statements],
    });
  }
}

export interface GithubDeployBoundaryProps {
  /** The stack the deploy role deploys: its permissions are scoped to it. */
  readonly stackName: string;
  /** The Vercel issuer's host path, for the provider the stack reads or manages. */
  readonly vercelIssuerHostPath: string;
  /** The app's own resources: a run deploys them with their `deployActions`. */
  readonly appResources?: readonly AppResourceDeployAccess[];
}

/** What the deploy role needs of an app resource declaration. */
export type AppResourceDeployAccess = Pick<AppResource, "id" | "arnFormat" | "deployActions">;

/**
 * The deploy boundary: the most the deploy role may ever do — the deploy permissions with their
 * conditions and denials, so they hold even if the role's own policy is ever widened.
 */
export class GithubDeployBoundary extends FixedNamePolicy {
  constructor(scope: Construct, id: string, props: GithubDeployBoundaryProps) {
    super(scope, id, {
      managedPolicyName: githubDeployBoundaryName(props.stackName),
      // Written when the boundary capped every role of the stack; kept, being create-only.
      description: `Deploy boundary of ${props.stackName}: the most any of its roles may do`,
      statements: deployStatements(
        Stack.of(scope),
        props.stackName,
        props.vercelIssuerHostPath,
        props.appResources ?? [],
      ),
    });
    acknowledgeDeployWildcards(this, props.stackName, props.appResources ?? []);
  }
}

export interface GithubDeployRoleProps
  extends Omit<iam.RoleProps, "assumedBy" | "permissionsBoundary"> {
  readonly provider: iam.IOidcProvider;
  /** The exact `sub` to trust (githubSubject). */
  readonly subject: string;
  /** The stack this role deploys: its permissions are scoped to it. */
  readonly stackName: string;
  /** The Vercel issuer's host path, for the provider the stack reads or manages. */
  readonly vercelIssuerHostPath: string;
  /** Its own permissions boundary. */
  readonly boundary: GithubDeployBoundary;
  /** The app's own resources: a run deploys them with their `deployActions`. */
  readonly appResources?: readonly AppResourceDeployAccess[];
}

/**
 * A role exactly one GitHub repository's branch (or environment) can assume: StringEquals on
 * `aud` = sts.amazonaws.com and on the full `sub` — no wildcard that another branch, a pull
 * request or a fork would match. Sessions of at most one hour. Capped by the deploy boundary.
 */
export class GithubDeployRole extends iam.Role {
  readonly subject: string;

  constructor(scope: Construct, id: string, props: GithubDeployRoleProps) {
    const {
      provider,
      subject,
      stackName,
      vercelIssuerHostPath,
      boundary,
      appResources = [],
      ...roleProps
    } = props;
    if (/[*?]/.test(subject) || !subject.startsWith("repo:")) {
      throw new Error(`GithubDeployRole subject "${subject}" must be one exact GitHub sub`);
    }
    super(scope, id, {
      ...roleProps,
      description: roleProps.description ?? `GitHub Actions deploy of ${stackName}: ${subject}`,
      maxSessionDuration: roleProps.maxSessionDuration ?? Duration.hours(1),
      assumedBy: new iam.OpenIdConnectPrincipal(provider, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST_PATH}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST_PATH}:sub`]: subject,
        },
      }),
    });
    // An aspect, not the `permissionsBoundary` prop: a boundary applied to the whole stack (the
    // app boundary) is an aspect too, and the one applied nearer the role wins.
    iam.PermissionsBoundary.of(this).apply(boundary);
    this.subject = subject;
    const statements = deployStatements(
      Stack.of(this),
      stackName,
      vercelIssuerHostPath,
      appResources,
    );
    for (const statement of statements) this.addToPrincipalPolicy(statement);
    acknowledgeDeployWildcards(this, stackName, appResources);
  }
}

const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;

const policyArn = (name: string) => iamArn(`policy/${name}`);

/** DEPLOY_PERMISSIONS and DEPLOY_DENIALS as statements on this stack's resources. */
function deployStatements(
  stack: Stack,
  stackName: string,
  vercelIssuerHostPath: string,
  appResources: readonly AppResourceDeployAccess[],
): iam.PolicyStatement[] {
  const resources = deployResources(stack, stackName, vercelIssuerHostPath);
  const withAppBoundary = {
    StringEquals: { "iam:PermissionsBoundary": policyArn(githubAppBoundaryName(stackName)) },
  };
  // Read when the template is written, so every resource of the stack is there (user-added too).
  const ownResourceTypes = {
    "ForAllValues:StringEquals": {
      "cloudformation:ResourceTypes": Lazy.list({ produce: () => stackResourceTypes(stack) }),
    },
  };
  return [
    ...DEPLOY_PERMISSIONS.map(
      (permission) =>
        new iam.PolicyStatement({
          actions: [...permission.actions],
          resources: resources[permission.scope],
          conditions: permission.withAppBoundary
            ? withAppBoundary
            : permission.ownResourceTypesOnly
              ? ownResourceTypes
              : undefined,
        }),
    ),
    // The app's own resources, each by the name prefix of all its environments' resources: what
    // CloudFormation calls to create and update them, and never what could drop, expire or open
    // their data (denied even if an Allow is ever widened).
    ...appResources.flatMap((declaration) => [
      ...(declaration.deployActions.length > 0
        ? [
            new iam.PolicyStatement({
              actions: [...declaration.deployActions],
              resources: [appResourceScope(stack, declaration)],
            }),
          ]
        : []),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ADMINISTRATOR_ONLY_ACTIONS.map(
          (action) => `${appResourceService(declaration.arnFormat)}:${action}`,
        ),
        resources: [appResourceScope(stack, declaration)],
      }),
    ]),
    ...DEPLOY_DENIALS.map(
      (denial) =>
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: [...denial.actions],
          resources: resources[denial.scope],
        }),
    ),
  ];
}

/** Every CloudFormation resource type the stack's template declares, sorted. */
export function stackResourceTypes(stack: Stack): string[] {
  const types = stack.node
    .findAll()
    .filter(CfnResource.isCfnResource)
    .map((resource) => resource.cfnResourceType);
  return [...new Set(types)].sort();
}

/**
 * The prefixes of the names CloudFormation generates for this stack's roles and buckets
 * (`<stack>-<logical id>-<random>`, buckets in lower case): the narrowest ARNs IAM can match them
 * by. githubStackNameMax keeps the stack name short enough that no generated name is cut.
 */
function namePrefixes(stackName: string) {
  const bucketIdStart = APP_BUCKET_LOGICAL_IDS[0].toLowerCase();
  return {
    vercelRoles: `role/${stackName}-${VERCEL_ROLE_LOGICAL_ID_PREFIX}*`,
    deployRole: `role/${stackName}-${GITHUB_DEPLOY_ROLE_LOGICAL_ID}*`,
    // Both bucket ids start with AppBucket (AppBucket…, AppBucketAccessLogs…).
    buckets: `${stackName.toLowerCase()}-${bucketIdStart}*`,
  };
}

function deployResources(
  stack: Stack,
  stackName: string,
  vercelIssuerHostPath: string,
): Record<DeployPermission["scope"], string[]> {
  const prefixes = namePrefixes(stackName);
  return {
    stack: [
      `arn:${Aws.PARTITION}:cloudformation:${stack.region}:${Aws.ACCOUNT_ID}:stack/${stackName}/*`,
    ],
    vercelRoles: [iamArn(prefixes.vercelRoles)],
    roles: [iamArn(prefixes.vercelRoles), iamArn(prefixes.deployRole)],
    boundaries: [
      policyArn(githubDeployBoundaryName(stackName)),
      policyArn(githubAppBoundaryName(stackName)),
    ],
    providers: [
      iamArn(`oidc-provider/${vercelIssuerHostPath}`),
      iamArn(`oidc-provider/${GITHUB_OIDC_HOST_PATH}`),
    ],
    buckets: [`arn:${Aws.PARTITION}:s3:::${prefixes.buckets}`],
    "*": ["*"],
  };
}

/** cdk-nag's AwsSolutions-IAM5 for the deploy statements' prefixes and list-only `*`. */
function acknowledgeDeployWildcards(
  scope: Construct,
  stackName: string,
  appResources: readonly AppResourceDeployAccess[],
): void {
  acknowledgeAppResourceScopes(scope, appResources);
  const region = Stack.of(scope).region;
  const prefixes = namePrefixes(stackName);
  Validations.of(scope).acknowledge(
    ...[
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${region}:<AWS::AccountId>:stack/${stackName}/*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:${prefixes.vercelRoles}]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:${prefixes.deployRole}]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${prefixes.buckets}]`,
      "AwsSolutions-IAM5[Resource::*]",
    ].map((id) => ({
      id,
      reason:
        "Scoped to this stack's own resources: CloudFormation names them <stack>-<logical id>-<random>, so a prefix is the narrowest ARN; list-only calls (ListOpenIDConnectProviders, LookupEvents) have no resource-level permission, and the Denies on * are meant for every resource.",
    })),
  );
}
