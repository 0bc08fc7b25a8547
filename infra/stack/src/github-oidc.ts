// GitHub Actions → AWS OIDC federation for the workflow that deploys this stack: GitHub's IAM OIDC
// provider (or the one the account already has) and a deploy role that one repository's default
// branch — or one of its GitHub environments — can assume, with the least permissions that deploy
// the Keyless stack without `cdk bootstrap` and run `pnpm verify`. The rules it builds on are in
// github-naming.ts (no aws-cdk-lib).

import { Aws, Duration, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST_PATH,
  GITHUB_OIDC_ISSUER,
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
  /** `stack`, `roles`, `providers`, `buckets` (this stack's own) or `*` (no resource-level IAM). */
  readonly scope: "stack" | "roles" | "providers" | "buckets" | "*";
  readonly why: string;
}

/**
 * The deploy role's permissions. The CDK CLI deploys with the caller's own credentials (no
 * bootstrap roles), and CloudFormation then makes every resource call with those credentials too,
 * so the list is: the CLI's CloudFormation calls, what CloudFormation calls for each resource type
 * in the template (AWS::IAM::Role, AWS::IAM::Policy, AWS::IAM::OIDCProvider, AWS::S3::Bucket,
 * AWS::S3::BucketPolicy), and the reads `pnpm verify` makes. Each scoped to this stack's own
 * resources where IAM allows it. No delete of buckets: they are retained.
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
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
    ],
    scope: "roles",
    why: "AWS::IAM::Role and AWS::IAM::Policy (inline policies) of this stack; verify reads each role's trust and policies",
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

export interface GithubDeployRoleProps extends Omit<iam.RoleProps, "assumedBy"> {
  readonly provider: iam.IOidcProvider;
  /** The exact `sub` to trust (githubSubject). */
  readonly subject: string;
  /** The stack this role deploys: its permissions are scoped to it. */
  readonly stackName: string;
  /** The Vercel issuer's host path, for the provider the stack reads or manages. */
  readonly vercelIssuerHostPath: string;
}

/**
 * A role exactly one GitHub repository's branch (or environment) can assume: StringEquals on
 * `aud` = sts.amazonaws.com and on the full `sub` — no wildcard that another branch, a pull
 * request or a fork would match. Sessions of at most one hour.
 */
export class GithubDeployRole extends iam.Role {
  readonly subject: string;

  constructor(scope: Construct, id: string, props: GithubDeployRoleProps) {
    const { provider, subject, stackName, vercelIssuerHostPath, ...roleProps } = props;
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
    this.subject = subject;
    const resources = deployResources(Stack.of(this), stackName, vercelIssuerHostPath);
    for (const permission of DEPLOY_PERMISSIONS) {
      this.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...permission.actions],
          resources: resources[permission.scope],
        }),
      );
    }
    Validations.of(this).acknowledge(
      ...deployWildcardFindings(Stack.of(this), stackName).map((id) => ({
        id,
        reason:
          "Scoped to this stack's own resources: CloudFormation names them <stack>-<id>-<random>, so a prefix is the narrowest ARN; list-only calls (ListOpenIDConnectProviders, LookupEvents) have no resource-level permission.",
      })),
    );
  }
}

function deployResources(
  stack: Stack,
  stackName: string,
  vercelIssuerHostPath: string,
): Record<DeployPermission["scope"], string[]> {
  const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;
  return {
    stack: [
      `arn:${Aws.PARTITION}:cloudformation:${stack.region}:${Aws.ACCOUNT_ID}:stack/${stackName}/*`,
    ],
    roles: [iamArn(`role/${stackName}-*`)],
    providers: [
      iamArn(`oidc-provider/${vercelIssuerHostPath}`),
      iamArn(`oidc-provider/${GITHUB_OIDC_HOST_PATH}`),
    ],
    // CloudFormation names buckets <stack name in lower case>-<logical id>-<random>.
    buckets: [`arn:${Aws.PARTITION}:s3:::${stackName.toLowerCase()}-*`],
    "*": ["*"],
  };
}

/** cdk-nag's AwsSolutions-IAM5 ids for the deploy role's prefixes and list-only `*`. */
function deployWildcardFindings(stack: Stack, stackName: string): string[] {
  const region = stack.region;
  return [
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${region}:<AWS::AccountId>:stack/${stackName}/*]`,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${stackName}-*]`,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${stackName.toLowerCase()}-*]`,
    "AwsSolutions-IAM5[Resource::*]",
  ];
}
