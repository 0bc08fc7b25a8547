// Vercel → AWS OIDC federation as CDK constructs: the IAM OIDC provider for Vercel's issuer, one
// role per Vercel environment, and a bucket those roles may use. Copy this file with
// vercel-naming.ts (the pure rules it builds on) into any CDK v2 app: it needs only aws-cdk-lib
// and constructs (`pnpm copy:construct <dir>`).

import { Duration, RemovalPolicy, Tags, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import {
  environmentNameProblem,
  isStandardEnvironment,
  projectNameProblem,
  providerArnProblem,
  type VercelEnvironment,
  type VercelIssuer,
  type VercelIssuerMode,
  type VercelIssuerProps,
  vercelIssuer,
  vercelSubject,
} from "./vercel-naming";

// One import for a construct user: the naming rules come along with the constructs.
export * from "./vercel-naming";

// --- Provider ---------------------------------------------------------------------------------

/** An IAM OIDC provider that trusts Vercel's issuer, plus what roles need to know about it. */
export interface IVercelOidcProvider extends iam.IOidcProvider, VercelIssuer {}

export type VercelOidcProviderProps = VercelIssuerProps;

/**
 * The native `AWS::IAM::OIDCProvider` for Vercel's issuer (no Lambda custom resource), with the
 * default audience as its client id. No thumbprint: IAM checks the issuer's certificate itself.
 * An account holds one provider per URL: use `fromProviderArn` when it already exists.
 */
export class VercelOidcProvider extends iam.OidcProviderNative implements IVercelOidcProvider {
  /** Reuses an existing provider; throws unless its URL is exactly the issuer's. */
  static fromProviderArn(
    scope: Construct,
    id: string,
    providerArn: string,
    props: VercelIssuerProps,
  ): IVercelOidcProvider {
    const issuer = vercelIssuer(props);
    const problem = providerArnProblem(providerArn, issuer);
    if (problem) throw new Error(`Existing OIDC provider: ${problem}`);
    return Object.assign(
      iam.OidcProviderNative.fromOidcProviderArn(scope, id, providerArn),
      issuer,
    );
  }

  readonly teamSlug: string;
  readonly issuerMode: VercelIssuerMode;
  readonly issuerUrl: string;
  readonly issuerHostPath: string;
  readonly audience: string;
  readonly teamAudience: string;

  constructor(scope: Construct, id: string, props: VercelOidcProviderProps) {
    const issuer = vercelIssuer(props);
    // Only the audience the roles require: with a custom one, a team-audience token is refused
    // by the provider already ("Incorrect token audience"), before any trust policy is read.
    super(scope, id, { url: issuer.issuerUrl, clientIds: [issuer.audience] });
    this.teamSlug = issuer.teamSlug;
    this.issuerMode = issuer.issuerMode;
    this.issuerUrl = issuer.issuerUrl;
    this.issuerHostPath = issuer.issuerHostPath;
    this.audience = issuer.audience;
    this.teamAudience = issuer.teamAudience;
  }
}

// --- Role -------------------------------------------------------------------------------------

/** Every iam.RoleProps (permissions boundary, path, managed policies, …) except the trust, which
 * this construct owns; description and maxSessionDuration have Vercel-specific defaults. */
export interface VercelOidcRoleProps extends Omit<iam.RoleProps, "assumedBy"> {
  readonly provider: IVercelOidcProvider;
  readonly projectName: string;
  /** The one environment this role trusts. A role per environment: a production role that also
   * trusted preview would let every preview deployment act as production. */
  readonly environment: VercelEnvironment;
  /** team_… id, recorded as a tag (IAM cannot match on it). */
  readonly teamId?: string;
  /** prj_… id, recorded as a tag (IAM cannot match on it). */
  readonly projectId?: string;
}

/**
 * A role that exactly one Vercel project in exactly one environment can assume: StringEquals on
 * the token's `aud` and `sub`, no wildcards, sessions of at most one hour.
 */
export class VercelOidcRole extends iam.Role {
  readonly environment: VercelEnvironment;
  /** The exact `sub` this role accepts. */
  readonly subject: string;
  readonly audience: string;

  constructor(scope: Construct, id: string, props: VercelOidcRoleProps) {
    const { provider, projectName, environment, teamId, projectId, ...roleProps } = props;
    const environmentProblem = environmentNameProblem(environment);
    if (environmentProblem) {
      throw new Error(`VercelOidcRole environment (one per role): ${environmentProblem}`);
    }
    const nameProblem = projectNameProblem(projectName);
    if (nameProblem) throw new Error(`VercelOidcRole project name: ${nameProblem}`);
    if (props.teamId !== undefined && !/^team_[A-Za-z0-9]+$/.test(props.teamId)) {
      throw new Error(`VercelOidcRole teamId "${props.teamId}" must look like team_…`);
    }
    if (props.projectId !== undefined && !/^prj_[A-Za-z0-9]+$/.test(props.projectId)) {
      throw new Error(`VercelOidcRole projectId "${props.projectId}" must look like prj_…`);
    }
    const subject = vercelSubject(provider.teamSlug, projectName, environment);
    super(scope, id, {
      ...roleProps,
      description:
        roleProps.description ??
        `Vercel project ${provider.teamSlug}/${projectName}, ${environment} deployments only`,
      maxSessionDuration: roleProps.maxSessionDuration ?? Duration.hours(1),
      assumedBy: new iam.OpenIdConnectPrincipal(provider, {
        StringEquals: {
          [`${provider.issuerHostPath}:aud`]: provider.audience,
          [`${provider.issuerHostPath}:sub`]: subject,
        },
      }),
    });
    this.environment = environment;
    this.subject = subject;
    this.audience = provider.audience;
    Tags.of(this).add("VercelEnvironment", environment);
    if (teamId) Tags.of(this).add("VercelTeamId", teamId);
    if (projectId) Tags.of(this).add("VercelProjectId", projectId);
  }
}

// --- Bucket -----------------------------------------------------------------------------------

export interface VercelAppBucketProps {
  /** Where S3 server access logs go. @default a dedicated, retained log bucket */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * Origins whose pages may PUT to presigned URLs and GET presigned downloads (browser CORS).
   * Build them with `vercelBrowserOrigins`. @default none: no page may (fail closed)
   */
  readonly browserOrigins?: string[];
}

export interface BrowserOriginsProps {
  readonly teamSlug: string;
  readonly projectName: string;
  /** The environments that have a role: each adds its own origins, no other does. */
  readonly environments: readonly VercelEnvironment[];
  /** Production's domains, exactly (host names). @default [`<project>.vercel.app`] */
  readonly productionDomains?: readonly string[];
}

/**
 * CORS origins, as narrow as S3 allows (an origin may hold one `*`):
 * - production: each production domain, exactly;
 * - preview: `https://<project>-*-<team>.vercel.app`, Vercel's preview URL shape. The `*` matches
 *   any characters, dots and dashes included, so it also admits another team's project whose
 *   preview URL has that shape (project `<project>-x` of team `y-<team>`, for one). CORS only
 *   lets such a page read answers to requests it could send anyway; a URL still needs a signature
 *   by a role of this stack, and each role signs only its own environment's prefix.
 * - a custom environment (e.g. staging): its deployment URLs have the preview shape, so it adds
 *   the preview origin (a domain assigned to the custom environment is not added);
 * - development: `http://localhost:3000` (`next dev`), only when a development role exists.
 */
export function vercelBrowserOrigins(props: BrowserOriginsProps): string[] {
  const origins: string[] = [];
  if (props.environments.includes("production")) {
    const domains = props.productionDomains ?? [`${props.projectName}.vercel.app`];
    origins.push(...domains.map((domain) => `https://${domain}`));
  }
  if (props.environments.some((e) => e === "preview" || !isStandardEnvironment(e))) {
    origins.push(`https://${props.projectName}-*-${props.teamSlug}.vercel.app`);
  }
  if (props.environments.includes("development")) origins.push("http://localhost:3000");
  return origins;
}

/**
 * A private bucket for the app: public access blocked, TLS only, S3-managed encryption,
 * versioned, and kept when the stack is deleted (data outlives infrastructure).
 */
export class VercelAppBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: VercelAppBucketProps = {}) {
    const accessLogsBucket =
      props.accessLogsBucket ?? newAccessLogsBucket(scope, `${id}AccessLogs`);
    const origins = props.browserOrigins ?? [];
    super(scope, id, {
      ...PRIVATE_BUCKET,
      versioned: true,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: "s3-access/",
      // Versioning keeps every overwrite; old versions are only worth a month of storage.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      // The app uploads from the browser straight to a presigned URL; without CORS the browser
      // refuses. Only signed requests succeed, so this opens nothing by itself.
      cors:
        origins.length === 0
          ? undefined
          : [
              {
                allowedOrigins: origins,
                allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
                allowedHeaders: ["content-type", "content-length"],
                maxAge: 3600,
              },
            ],
    });
  }

  /**
   * One environment's data: list and get/put objects under `<environment>/` of this bucket, and
   * nothing else — no other environment's prefix, no DeleteObject (the app deletes nothing).
   */
  grantEnvironmentData(role: iam.IRole, environment: VercelEnvironment): void {
    const prefix = environmentDataPrefix(environment);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [this.bucketArn],
        conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: [this.arnForObjects(`${prefix}*`)],
      }),
    );
    // cdk-nag reports "<bucket>/<env>/*" as a wildcard; it is one prefix of this one bucket.
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.stack.getLogicalId(this.node.defaultChild as s3.CfnBucket)}.Arn>/${prefix}*]`,
      reason: "Object-level actions on one environment's prefix of this one bucket.",
    });
  }
}

/** Each environment's folder in the bucket: the app's S3_PREFIX. */
export function environmentDataPrefix(environment: VercelEnvironment): string {
  return `${environment}/`;
}

const PRIVATE_BUCKET = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  encryption: s3.BucketEncryption.S3_MANAGED,
  removalPolicy: RemovalPolicy.RETAIN,
} satisfies s3.BucketProps;

function newAccessLogsBucket(scope: Construct, id: string): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    ...PRIVATE_BUCKET,
    lifecycleRules: [{ expiration: Duration.days(90) }],
  });
  Validations.of(bucket.node.defaultChild as s3.CfnBucket).acknowledge({
    id: "AwsSolutions-S1",
    reason: "This is the access-log bucket; logging it into itself would loop.",
  });
  return bucket;
}
