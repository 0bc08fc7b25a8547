// The Keyless stack: Vercel OIDC provider (new or existing), a role per trusted environment, the
// app bucket, and outputs that are exactly what the Vercel project needs.

import {
  App,
  CfnOutput,
  CfnResource,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { CfnBucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import type { Construct } from "constructs";
import {
  APP_RESOURCE_METADATA_KEY,
  type AppResourceMetadata,
  appResourceLogicalId,
  appResourceProblem,
} from "./app-resource-naming";
import { acknowledgeAppResourceScopes, appResourceScope } from "./app-resource-scope";
import type { AppResource } from "./app-resources";
import { CommandFailure } from "./cli";
import type { GithubDeployConfig } from "./config";
import {
  APP_BOUNDARY_LOGICAL_ID,
  APP_BUCKET_LOGICAL_IDS,
  GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID,
  GITHUB_DEPLOY_ROLE_LOGICAL_ID,
  githubStackNameProblem,
  vercelRoleLogicalId,
} from "./github-naming";
import {
  AppBoundary,
  GithubDeployBoundary,
  GithubDeployRole,
  GithubOidcProvider,
} from "./github-oidc";
import { NoBootstrapSynthesizer } from "./no-bootstrap-synthesizer";
import {
  environmentDataPrefix,
  environmentNameProblem,
  environmentSuffix,
  type IVercelOidcProvider,
  VercelAppBucket,
  type VercelEnvironment,
  type VercelIssuerMode,
  VercelOidcProvider,
  VercelOidcRole,
  vercelBrowserOrigins,
} from "./vercel-oidc";

export interface KeylessStackProps extends StackProps {
  readonly teamSlug: string;
  readonly projectName: string;
  /** One role each; at least one. */
  readonly environments: readonly VercelEnvironment[];
  readonly issuerMode?: VercelIssuerMode;
  /** A custom audience the app exchanges its token for (VERCEL_OIDC_AUDIENCE). @default the team's */
  readonly audience?: string;
  /** Reuse this provider instead of creating one (one provider per URL per account). */
  readonly existingProviderArn?: string;
  readonly teamId?: string;
  readonly projectId?: string;
  /** Production's domains for the bucket's CORS. @default [`<project>.vercel.app`] */
  readonly productionDomains?: readonly string[];
  /**
   * A deploy role for GitHub Actions (opt-in). With it, the deploy role carries the deploy boundary
   * and every other role of the stack the app boundary; without it nothing changes (no boundary:
   * only an administrator deploys the stack).
   */
  readonly github?: Pick<GithubDeployConfig, "subject" | "existingProviderArn">;
  /** The app's own resources, one of each per environment (src/app-resources.ts). @default none */
  readonly appResources?: readonly AppResource[];
}

export { environmentSuffix };

/** Stable, readable logical ids: trust:check and the sandbox name roles by them. */
export function roleLogicalId(environment: VercelEnvironment): string {
  return vercelRoleLogicalId(environment);
}
export const BUCKET_LOGICAL_ID = APP_BUCKET_LOGICAL_IDS[0];
export const PROVIDER_LOGICAL_ID = "VercelOidcProvider";
export const GITHUB_PROVIDER_LOGICAL_ID = "GithubOidcProvider";
export const GITHUB_DEPLOY_ROLE_OUTPUT = "GithubDeployRoleArn";

export class KeylessStack extends Stack {
  readonly provider: IVercelOidcProvider;
  readonly roles: ReadonlyMap<VercelEnvironment, VercelOidcRole>;
  readonly bucket: VercelAppBucket;
  readonly githubDeployRole?: GithubDeployRole;
  readonly githubDeployBoundary?: GithubDeployBoundary;
  readonly appBoundary?: AppBoundary;
  readonly appResources: readonly AppResource[];

  constructor(scope: Construct, id: string, props: KeylessStackProps) {
    super(scope, id, { synthesizer: new NoBootstrapSynthesizer(), ...props });
    const environments = checkEnvironments(props.environments);
    this.appResources = checkAppResources(props.appResources ?? []);

    const issuerProps = {
      teamSlug: props.teamSlug,
      issuerMode: props.issuerMode,
      audience: props.audience,
    };
    this.provider = props.existingProviderArn
      ? VercelOidcProvider.fromProviderArn(
          this,
          PROVIDER_LOGICAL_ID,
          props.existingProviderArn,
          issuerProps,
        )
      : new VercelOidcProvider(this, PROVIDER_LOGICAL_ID, issuerProps);

    this.bucket = new VercelAppBucket(this, BUCKET_LOGICAL_ID, {
      browserOrigins: vercelBrowserOrigins({
        teamSlug: props.teamSlug,
        projectName: props.projectName,
        environments,
        productionDomains: props.productionDomains,
      }),
    });
    new CfnOutput(this, "BucketName", {
      value: this.bucket.bucketName,
      description: "S3_BUCKET for the app",
    });
    new CfnOutput(this, "Region", { value: this.region, description: "AWS_REGION for the app" });

    const roles = new Map<VercelEnvironment, VercelOidcRole>();
    for (const environment of environments) {
      const role = new VercelOidcRole(this, roleLogicalId(environment), {
        provider: this.provider,
        projectName: props.projectName,
        environment,
        teamId: props.teamId,
        projectId: props.projectId,
      });
      (role.node.defaultChild as iam.CfnRole).overrideLogicalId(roleLogicalId(environment));
      this.bucket.grantEnvironmentData(role, environment);
      const appVariables = this.addAppResources(environment, role);
      roles.set(environment, role);
      const suffix = environmentSuffix(environment);
      new CfnOutput(this, `RoleArn${suffix}`, {
        value: role.roleArn,
        description: `AWS_ROLE_ARN for Vercel ${environment} deployments`,
      });
      new CfnOutput(this, `VercelEnv${suffix}`, {
        value: Fn.join("\n", [
          `AWS_REGION=${this.region}`,
          Fn.join("", ["AWS_ROLE_ARN=", role.roleArn]),
          Fn.join("", ["S3_BUCKET=", this.bucket.bucketName]),
          `S3_PREFIX=${environmentDataPrefix(environment)}`,
          // The app must ask for the audience the roles require (aws-auth exchanges for it).
          ...(props.audience ? [`VERCEL_OIDC_AUDIENCE=${props.audience}`] : []),
          ...appVariables,
        ]),
        description: `Paste into Vercel → Project → Settings → Environment Variables, for ${environment} only`,
      });
    }
    this.roles = roles;
    if (props.github) {
      // The deploy role's scopes are name prefixes: a cut generated name would fall outside them.
      const stackNameProblem = githubStackNameProblem(this.stackName, environments);
      if (stackNameProblem) throw new Error(`KeylessStack stackName: ${stackNameProblem}`);
      this.appBoundary = this.addAppBoundary();
      this.githubDeployBoundary = new GithubDeployBoundary(
        this,
        GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID,
        {
          stackName: this.stackName,
          vercelIssuerHostPath: this.provider.issuerHostPath,
          appResources: this.appResources,
        },
      );
      fixLogicalId(this.githubDeployBoundary);
      this.githubDeployRole = this.addGithubDeployRole(props.github, this.githubDeployBoundary);
    }
  }

  /**
   * `environment`'s own app resources: made, named by a fixed logical id, retained, marked with
   * their metadata, granted to its role. Returns the lines its Vercel variables take.
   */
  private addAppResources(environment: VercelEnvironment, role: VercelOidcRole): string[] {
    return this.appResources.map((declaration) => {
      const logicalId = appResourceLogicalId(declaration.id, environment);
      const instance = declaration.create(this, logicalId);
      const made = this.node.tryFindChild(logicalId);
      const resource = made && (CfnResource.isCfnResource(made) ? made : made.node.defaultChild);
      if (!resource || !CfnResource.isCfnResource(resource)) {
        throw new AppResourceError(
          `App resource ${declaration.id}: create() made no construct with the id it was given (${logicalId}) directly under the stack; build it as new Table(scope, id, …)`,
        );
      }
      resource.overrideLogicalId(logicalId);
      // Data outlives infrastructure: deleting the stack or replacing the resource leaves it.
      resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
      const metadata: AppResourceMetadata = {
        id: declaration.id,
        environment,
        variable: declaration.variable,
        arnFormat: declaration.arnFormat,
      };
      resource.addMetadata(APP_RESOURCE_METADATA_KEY, metadata);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...declaration.actions],
          resources: [...instance.arns],
        }),
      );
      // The physical id (Ref), as vercel:env and the sandbox read it from the stack's resources.
      return Fn.join("", [`${declaration.variable}=`, resource.ref]);
    });
  }

  /**
   * The app boundary, put on every role of the stack (and any role a construct adds later); the
   * deploy role replaces it with the deploy boundary.
   */
  private addAppBoundary(): AppBoundary {
    const boundary = new AppBoundary(this, APP_BOUNDARY_LOGICAL_ID, {
      stackName: this.stackName,
      statements: [
        ...appDataCeiling(this.bucket),
        ...this.appResources.map(
          (declaration) =>
            new iam.PolicyStatement({
              actions: [...declaration.actions],
              resources: [appResourceScope(this, declaration)],
            }),
        ),
      ],
    });
    fixLogicalId(boundary);
    const bucketId = this.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(boundary).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason:
        "The ceiling for every Vercel role: objects of this one bucket. Each role's own policy narrows it to its environment's prefix.",
    });
    acknowledgeAppResourceScopes(boundary, this.appResources);
    iam.PermissionsBoundary.of(this).apply(boundary);
    return boundary;
  }

  private addGithubDeployRole(
    github: NonNullable<KeylessStackProps["github"]>,
    boundary: GithubDeployBoundary,
  ): GithubDeployRole {
    const provider = github.existingProviderArn
      ? GithubOidcProvider.fromProviderArn(
          this,
          GITHUB_PROVIDER_LOGICAL_ID,
          github.existingProviderArn,
        )
      : new GithubOidcProvider(this, GITHUB_PROVIDER_LOGICAL_ID);
    const role = new GithubDeployRole(this, GITHUB_DEPLOY_ROLE_LOGICAL_ID, {
      provider,
      subject: github.subject,
      stackName: this.stackName,
      vercelIssuerHostPath: this.provider.issuerHostPath,
      boundary,
      appResources: this.appResources,
    });
    (role.node.defaultChild as iam.CfnRole).overrideLogicalId(GITHUB_DEPLOY_ROLE_LOGICAL_ID);
    new CfnOutput(this, GITHUB_DEPLOY_ROLE_OUTPUT, {
      value: role.roleArn,
      description:
        "AWS_DEPLOY_ROLE_ARN: the GitHub repository variable the deploy workflow assumes (with separate accounts, AWS_DEPLOY_ROLE_ARNS: a JSON list, one ARN per account)",
    });
    return role;
  }
}

/** Readable, stable logical ids for the boundaries: the roles and the tests name them. */
function fixLogicalId(policy: iam.ManagedPolicy): void {
  (policy.node.defaultChild as iam.CfnManagedPolicy).overrideLogicalId(policy.node.id);
}

/**
 * The most a Vercel role may hold, the app boundary: list the app bucket, get and put its
 * objects. The whole bucket, not each environment's prefix: the deploy role may edit any Vercel
 * role's policy within the boundary anyway, so per-prefix entries would add no protection, and
 * leaving environments out means adding one does not change the boundary (which needs an
 * administrator deploy).
 */
function appDataCeiling(bucket: VercelAppBucket): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucket.bucketArn] }),
    new iam.PolicyStatement({
      actions: ["s3:GetObject", "s3:PutObject"],
      resources: [bucket.arnForObjects("*")],
    }),
  ];
}

/** A declaration in src/app-resources.ts that cannot work: the commands print it without a stack. */
export class AppResourceError extends CommandFailure {
  override readonly name = "AppResourceError";
}

function checkAppResources(appResources: readonly AppResource[]): readonly AppResource[] {
  const ids = new Set<string>();
  const variables = new Set<string>();
  for (const declaration of appResources) {
    const problem = appResourceProblem(declaration);
    if (problem) throw new AppResourceError(`KeylessStack app resource: ${problem}`);
    if (ids.has(declaration.id) || variables.has(declaration.variable)) {
      throw new AppResourceError(
        `KeylessStack app resource ${declaration.id}: its id or variable (${declaration.variable}) is declared twice`,
      );
    }
    // One id a prefix of another would put both under one scope (NotesTable, NotesTableArchive).
    const overlapping = [...ids].find(
      (id) => id.startsWith(declaration.id) || declaration.id.startsWith(id),
    );
    if (overlapping !== undefined) {
      throw new AppResourceError(
        `KeylessStack app resource ${declaration.id}: ${overlapping} starts the same way, so one's name prefix would reach the other's resources; rename one (e.g. ArchiveTable)`,
      );
    }
    ids.add(declaration.id);
    variables.add(declaration.variable);
  }
  return appResources;
}

function checkEnvironments(environments: readonly VercelEnvironment[]): VercelEnvironment[] {
  if (environments.length === 0) {
    throw new Error("KeylessStack environments is empty: trust at least one Vercel environment");
  }
  const seen = new Map<string, VercelEnvironment>();
  for (const environment of environments) {
    const problem = environmentNameProblem(environment);
    if (problem) throw new Error(`KeylessStack environment: ${problem}`);
    const twin = seen.get(environmentSuffix(environment));
    if (twin !== undefined) {
      throw new Error(
        twin === environment
          ? `KeylessStack environment "${environment}" is listed twice`
          : `KeylessStack environments "${twin}" and "${environment}" give the same logical ids; keep one`,
      );
    }
    seen.set(environmentSuffix(environment), environment);
  }
  return [...seen.values()];
}

export interface KeylessAppOptions {
  /** Where `app.synth()` writes the cloud assembly. @default a temp dir (CDK's default) */
  readonly outdir?: string;
  readonly stackName: string;
  readonly region: string;
  /**
   * Pins the stack to this account (KEYLESS_ACCOUNTS): the CDK CLI then refuses to deploy it with
   * credentials of another account. @default the account of the credentials that deploy
   */
  readonly account?: string;
}

/**
 * The app as `cdk synth` builds it, shared by bin/app.ts, trust:check and the tests so they all
 * see the same template: cdk-nag's AWS Solutions pack runs on every synth.
 */
export function createKeylessApp(
  props: Omit<KeylessStackProps, "env" | "stackName">,
  options: KeylessAppOptions,
): { app: App; stack: KeylessStack } {
  const app = new App({
    outdir: options.outdir,
    // No CDKMetadata resource: it means nothing to users and emulators do not know its type.
    analyticsReporting: false,
    // Grant log delivery through a bucket policy instead of the legacy LogDeliveryWrite ACL.
    context: { "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true },
  });
  const stack = new KeylessStack(app, options.stackName, {
    ...props,
    stackName: options.stackName,
    // Region fixed; the account pinned with KEYLESS_ACCOUNTS, else left to the credentials that
    // deploy (ARNs use AWS::AccountId either way).
    env: { region: options.region, ...(options.account ? { account: options.account } : {}) },
    description: `Vercel OIDC federation for ${props.teamSlug}/${props.projectName} (Keyless)`,
  });
  // Acknowledged findings are written into the template's Metadata, reasons included.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
  );
  return { app, stack };
}
