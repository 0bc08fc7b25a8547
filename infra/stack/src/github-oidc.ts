// GitHub Actions → AWS OIDC federation for the workflow that deploys this stack: GitHub's IAM OIDC
// provider (or the one the account already has), a deploy role that one repository's default
// branch — or one of its GitHub environments — can assume, with the least permissions that deploy
// the Keyless stack without `cdk bootstrap` and run `pnpm verify`, and the deploy boundary: the
// permissions boundary that caps that role and every role it can create or edit. The rules it
// builds on are in github-naming.ts (no aws-cdk-lib).
//
// Why a boundary: creating and editing the stack's roles is part of deploying it, and without a
// ceiling a role that may write `role/<stack>-*` policies can write itself `*:*`. With it, every
// IAM write on a role requires `iam:PermissionsBoundary` = the boundary, the boundary cannot be
// removed or edited, and the boundary repeats those conditions itself — the deploy role may
// rewrite its own inline policy (it is a `<stack>-*` role carrying the boundary), so only what the
// boundary says holds against a compromised run.

import { Aws, Duration, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST_PATH,
  GITHUB_OIDC_ISSUER,
  githubDeployBoundaryName,
  githubProviderArnProblem,
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
   * `stack`, `roles`, `boundary`, `providers`, `buckets` (this stack's own) or `*` (no
   * resource-level IAM).
   */
  readonly scope: "stack" | "roles" | "boundary" | "providers" | "buckets" | "*";
  /**
   * Only with `iam:PermissionsBoundary` = the deploy boundary: the role acted on carries it
   * (CreateRole, PutRolePermissionsBoundary: the request sets it).
   */
  readonly withBoundary?: true;
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
 * Role writes carry the boundary condition wherever IAM's Service Authorization Reference lists
 * the `iam:PermissionsBoundary` key for the action (for CreateRole and PutRolePermissionsBoundary
 * it is the boundary being set; for the others, the boundary the role already has). AWS added the
 * key to DeleteRole, UpdateRole, UpdateRoleDescription and UpdateAssumeRolePolicy in late 2025;
 * were it missing from a request, StringEquals fails and the call is refused (fails closed).
 * TagRole, UntagRole and the reads do not take the key: they are scoped to `role/<stack>-*` only.
 */
export const DEPLOY_PERMISSIONS: readonly DeployPermission[] = [
  {
    actions: [
      "cloudformation:DescribeStacks",
      "cloudformation:DescribeStackEvents",
      "cloudformation:GetTemplate",
      "cloudformation:CreateChangeSet",
      "cloudformation:DescribeChangeSet",
      "cloudformation:ExecuteChangeSet",
      "cloudformation:DeleteChangeSet",
    ],
    scope: "stack",
    why: "cdk deploy: read the stack and its template, deploy through a change set, follow its events (verify: DescribeStacks for status and outputs)",
  },
  {
    actions: [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
    ],
    scope: "roles",
    withBoundary: true,
    why: "AWS::IAM::Role and AWS::IAM::Policy (inline policies) of this stack, only on roles that carry the deploy boundary and only creating roles with it (CloudFormation sets it with CreateRole, or PutRolePermissionsBoundary on an existing role): no role this role makes or edits can exceed the boundary",
  },
  {
    actions: [
      "iam:GetRole",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
    ],
    scope: "roles",
    why: "reads and tags of this stack's roles (no policy here tests a tag, so tags grant nothing); verify reads each role's trust and policies",
  },
  {
    actions: ["iam:GetPolicy", "iam:GetPolicyVersion"],
    scope: "boundary",
    why: "AWS::IAM::ManagedPolicy, the deploy boundary: read only, so a run can show the ceiling it works under. A deploy that leaves the boundary alone makes no call on it; one that changes it fails here (no policy-editing action is granted): change it with an administrator profile",
  },
  {
    actions: [
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:GetOpenIDConnectProvider",
      "iam:AddClientIDToOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
      "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider",
      "iam:ListOpenIDConnectProviderTags",
    ],
    scope: "providers",
    why: "AWS::IAM::OIDCProvider for Vercel's and GitHub's issuers (only GetOpenIDConnectProvider when both already exist); verify reads the provider's client ids",
  },
  {
    actions: ["iam:ListOpenIDConnectProviders"],
    scope: "*",
    why: "verify finds the provider by URL; IAM has no resource-level permission for this list call",
  },
  {
    actions: [
      "s3:CreateBucket",
      "s3:GetBucketLocation",
      "s3:PutBucketPolicy",
      "s3:GetBucketPolicy",
      "s3:DeleteBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:GetBucketPublicAccessBlock",
      "s3:PutEncryptionConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:PutBucketVersioning",
      "s3:GetBucketVersioning",
      "s3:PutLifecycleConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:PutBucketLogging",
      "s3:GetBucketLogging",
      "s3:PutBucketCORS",
      "s3:GetBucketCORS",
      "s3:PutBucketTagging",
      "s3:GetBucketTagging",
      "s3:PutBucketOwnershipControls",
      "s3:GetBucketOwnershipControls",
    ],
    scope: "buckets",
    why: "AWS::S3::Bucket (public access block, encryption, versioning, lifecycle, access logging, CORS, tags) and AWS::S3::BucketPolicy (TLS only, log delivery) of the app and log buckets; no DeleteBucket: both are retained",
  },
  {
    actions: ["cloudtrail:LookupEvents"],
    scope: "*",
    why: "verify's CloudTrail check; LookupEvents has no resource-level permission",
  },
];

/**
 * Explicit denials, in the deploy role's policy and in the boundary. The boundary grants none of
 * these anyway; the Deny says so where a reader looks and still holds if an Allow is ever widened.
 */
export const DEPLOY_DENIALS: readonly DeployPermission[] = [
  {
    actions: ["iam:DeleteRolePermissionsBoundary"],
    scope: "roles",
    why: "a role of this stack never loses the boundary: without it the role's own policy would be its only limit",
  },
  {
    actions: [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
    ],
    scope: "boundary",
    why: "the boundary cannot be rewritten, rolled to another version, or deleted and recreated by a run: only an administrator deploy changes it",
  },
];

export interface GithubDeployBoundaryProps {
  /** The stack whose roles it caps: its permissions are scoped to it. */
  readonly stackName: string;
  /** The Vercel issuer's host path, for the provider the stack reads or manages. */
  readonly vercelIssuerHostPath: string;
  /** What the stack's other roles are granted (e.g. the app bucket's objects): the ceiling holds it. */
  readonly appStatements: readonly iam.PolicyStatement[];
}

/**
 * The deploy boundary: the most any role of the stack may ever do — the app roles' grants and
 * the deploy permissions with their conditions and denials, which is what makes it a ceiling the
 * deploy role cannot lift. Apply it to every role of the stack (`iam.PermissionsBoundary.of`).
 */
export class GithubDeployBoundary extends iam.ManagedPolicy {
  constructor(scope: Construct, id: string, props: GithubDeployBoundaryProps) {
    super(scope, id, {
      // Name and description are create-only: changing either makes CloudFormation replace the
      // policy (delete, then create: one name cannot exist twice) under roles that all name it
      // as their boundary. Keep both fixed; the document may change (administrator deploy).
      managedPolicyName: githubDeployBoundaryName(props.stackName),
      description: `Deploy boundary of ${props.stackName}: the most any of its roles may do`,
      statements: [
        ...props.appStatements,
        ...deployStatements(Stack.of(scope), props.stackName, props.vercelIssuerHostPath),
      ],
    });
    acknowledgeDeployWildcards(this, props.stackName);
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
  /** Its own permissions boundary, and the one every role it creates or edits must carry. */
  readonly boundary: GithubDeployBoundary;
}

/**
 * A role exactly one GitHub repository's branch (or environment) can assume: StringEquals on
 * `aud` = sts.amazonaws.com and on the full `sub` — no wildcard that another branch, a pull
 * request or a fork would match. Sessions of at most one hour. Capped by the deploy boundary.
 */
export class GithubDeployRole extends iam.Role {
  readonly subject: string;

  constructor(scope: Construct, id: string, props: GithubDeployRoleProps) {
    const { provider, subject, stackName, vercelIssuerHostPath, boundary, ...roleProps } = props;
    if (/[*?]/.test(subject) || !subject.startsWith("repo:")) {
      throw new Error(`GithubDeployRole subject "${subject}" must be one exact GitHub sub`);
    }
    super(scope, id, {
      ...roleProps,
      description: roleProps.description ?? `GitHub Actions deploy of ${stackName}: ${subject}`,
      maxSessionDuration: roleProps.maxSessionDuration ?? Duration.hours(1),
      permissionsBoundary: boundary,
      assumedBy: new iam.OpenIdConnectPrincipal(provider, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST_PATH}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST_PATH}:sub`]: subject,
        },
      }),
    });
    this.subject = subject;
    for (const statement of deployStatements(Stack.of(this), stackName, vercelIssuerHostPath)) {
      this.addToPrincipalPolicy(statement);
    }
    acknowledgeDeployWildcards(this, stackName);
  }
}

const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;

const deployBoundaryArn = (stackName: string) =>
  iamArn(`policy/${githubDeployBoundaryName(stackName)}`);

/** DEPLOY_PERMISSIONS and DEPLOY_DENIALS as statements on this stack's resources. */
function deployStatements(
  stack: Stack,
  stackName: string,
  vercelIssuerHostPath: string,
): iam.PolicyStatement[] {
  const resources = deployResources(stack, stackName, vercelIssuerHostPath);
  const withBoundary = {
    StringEquals: { "iam:PermissionsBoundary": deployBoundaryArn(stackName) },
  };
  return [
    ...DEPLOY_PERMISSIONS.map(
      (permission) =>
        new iam.PolicyStatement({
          actions: [...permission.actions],
          resources: resources[permission.scope],
          conditions: permission.withBoundary ? withBoundary : undefined,
        }),
    ),
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

function deployResources(
  stack: Stack,
  stackName: string,
  vercelIssuerHostPath: string,
): Record<DeployPermission["scope"], string[]> {
  return {
    stack: [
      `arn:${Aws.PARTITION}:cloudformation:${stack.region}:${Aws.ACCOUNT_ID}:stack/${stackName}/*`,
    ],
    roles: [iamArn(`role/${stackName}-*`)],
    boundary: [deployBoundaryArn(stackName)],
    providers: [
      iamArn(`oidc-provider/${vercelIssuerHostPath}`),
      iamArn(`oidc-provider/${GITHUB_OIDC_HOST_PATH}`),
    ],
    // CloudFormation names buckets <stack name in lower case>-<logical id>-<random>.
    buckets: [`arn:${Aws.PARTITION}:s3:::${stackName.toLowerCase()}-*`],
    "*": ["*"],
  };
}

/** cdk-nag's AwsSolutions-IAM5 for the deploy statements' prefixes and list-only `*`. */
function acknowledgeDeployWildcards(scope: Construct, stackName: string): void {
  const region = Stack.of(scope).region;
  Validations.of(scope).acknowledge(
    ...[
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${region}:<AWS::AccountId>:stack/${stackName}/*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${stackName}-*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${stackName.toLowerCase()}-*]`,
      "AwsSolutions-IAM5[Resource::*]",
    ].map((id) => ({
      id,
      reason:
        "Scoped to this stack's own resources: CloudFormation names them <stack>-<id>-<random>, so a prefix is the narrowest ARN; list-only calls (ListOpenIDConnectProviders, LookupEvents) have no resource-level permission.",
    })),
  );
}
