// Vercel → AWS OIDC federation as CDK constructs: the IAM OIDC provider for Vercel's issuer, one
// role per Vercel environment, and a bucket those roles may use. Self-contained on purpose: copy
// this one file into any CDK v2 app (it needs only aws-cdk-lib and constructs).
//
// What IAM can pin for a Vercel token is its `sub` and `aud` (owner_id / project_id / environment
// are not condition keys), so the trust is built from team slug + project name + environment.

import { Duration, RemovalPolicy, Tags, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";

export const VERCEL_ENVIRONMENTS = ["production", "preview", "development"] as const;
export type VercelEnvironment = (typeof VERCEL_ENVIRONMENTS)[number];
export const VERCEL_ISSUER_MODES = ["team", "global"] as const;
export type VercelIssuerMode = (typeof VERCEL_ISSUER_MODES)[number];

const VERCEL_OIDC_HOST = "oidc.vercel.com";
const TEAM_SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const PROJECT_NAME = /^[a-z0-9._-]{1,100}$/;
const PROVIDER_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider\/(.+)$/;

// --- Naming rules (pure; the config loader and trust:check use them too) ---------------------

/** Why `slug` is not a valid Vercel team slug, or undefined when it is. */
export function teamSlugProblem(slug: string): string | undefined {
  if (slug === "") return "it is empty";
  if (/[A-Z]/.test(slug)) {
    return `"${slug}" has capital letters; Vercel team slugs are lower-case (try "${slug.toLowerCase()}")`;
  }
  if (slug.startsWith("team_")) {
    return `"${slug}" is a team id; the slug is the name in the team URL (vercel.com/<slug>)`;
  }
  if (!TEAM_SLUG.test(slug)) {
    return `"${slug}" may only hold lower-case letters, digits and single hyphens between them`;
  }
  return undefined;
}

/** Why `name` is not a valid Vercel project name, or undefined when it is. */
export function projectNameProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (/[A-Z]/.test(name)) {
    return `"${name}" has capital letters; Vercel project names are lower-case (try "${name.toLowerCase()}")`;
  }
  if (name.startsWith("prj_")) {
    return `"${name}" is a project id; the trust needs the project name`;
  }
  if (!PROJECT_NAME.test(name) || name.includes("---")) {
    return `"${name}" must be 1-100 lower-case letters, digits, ".", "_" or "-" (and no "---")`;
  }
  return undefined;
}

export interface VercelIssuerProps {
  /** The team slug, as in vercel.com/<slug> (not the team_… id). */
  readonly teamSlug: string;
  /** `team` (issuer https://oidc.vercel.com/<slug>, recommended) or `global`. @default "team" */
  readonly issuerMode?: VercelIssuerMode;
}

/** Everything IAM needs to know about Vercel's issuer for one team. */
export interface VercelIssuer {
  readonly teamSlug: string;
  readonly issuerMode: VercelIssuerMode;
  /** The `iss` claim, e.g. https://oidc.vercel.com/acme. */
  readonly issuerUrl: string;
  /** The issuer without https:// — IAM's provider name and condition-key prefix. */
  readonly issuerHostPath: string;
  /** The `aud` claim Vercel sets by default: https://vercel.com/<slug> in both modes. */
  readonly audience: string;
}

export function vercelIssuer(props: VercelIssuerProps): VercelIssuer {
  const issuerMode = props.issuerMode ?? "team";
  const slugProblem = teamSlugProblem(props.teamSlug);
  if (slugProblem) throw new Error(`Vercel team slug: ${slugProblem}`);
  if (!VERCEL_ISSUER_MODES.includes(issuerMode)) {
    throw new Error(`Vercel issuer mode "${issuerMode}" must be "team" or "global"`);
  }
  const issuerHostPath =
    issuerMode === "team" ? `${VERCEL_OIDC_HOST}/${props.teamSlug}` : VERCEL_OIDC_HOST;
  return {
    teamSlug: props.teamSlug,
    issuerMode,
    issuerUrl: `https://${issuerHostPath}`,
    issuerHostPath,
    audience: `https://vercel.com/${props.teamSlug}`,
  };
}

/** The `sub` claim of a token minted for `projectName` in `environment`. */
export function vercelSubject(
  teamSlug: string,
  projectName: string,
  environment: VercelEnvironment,
): string {
  return `owner:${teamSlug}:project:${projectName}:environment:${environment}`;
}

export interface ParsedProviderArn {
  readonly partition: string;
  readonly account: string;
  /** The provider's URL without https://. */
  readonly hostPath: string;
}

/** Why `arn` cannot be the IAM OIDC provider for `issuer`, or undefined when it can. */
export function providerArnProblem(arn: string, issuer: VercelIssuer): string | undefined {
  const parsed = parseProviderArn(arn);
  if (!parsed) {
    return `"${arn}" is not an OIDC provider ARN (arn:aws:iam::<12-digit account>:oidc-provider/${issuer.issuerHostPath})`;
  }
  if (parsed.hostPath !== issuer.issuerHostPath) {
    return `"${arn}" is the provider for https://${parsed.hostPath}, but ${issuer.issuerMode} mode needs the one for ${issuer.issuerUrl}`;
  }
  return undefined;
}

export function parseProviderArn(arn: string): ParsedProviderArn | undefined {
  const match = PROVIDER_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition = "", account = "", hostPath = ""] = match;
  return { partition, account, hostPath };
}

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

  constructor(scope: Construct, id: string, props: VercelOidcProviderProps) {
    const issuer = vercelIssuer(props);
    super(scope, id, { url: issuer.issuerUrl, clientIds: [issuer.audience] });
    this.teamSlug = issuer.teamSlug;
    this.issuerMode = issuer.issuerMode;
    this.issuerUrl = issuer.issuerUrl;
    this.issuerHostPath = issuer.issuerHostPath;
    this.audience = issuer.audience;
  }
}

// --- Role -------------------------------------------------------------------------------------

export interface VercelOidcRoleProps {
  readonly provider: IVercelOidcProvider;
  readonly projectName: string;
  /** The one environment this role trusts. A role per environment: a production role that also
   * trusted preview would let every preview deployment act as production. */
  readonly environment: VercelEnvironment;
  /** team_… id, recorded as a tag (IAM cannot match on it). */
  readonly teamId?: string;
  /** prj_… id, recorded as a tag (IAM cannot match on it). */
  readonly projectId?: string;
  readonly roleName?: string;
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
    const { provider, projectName, environment } = props;
    if (!VERCEL_ENVIRONMENTS.includes(environment)) {
      throw new Error(
        `VercelOidcRole environment "${environment}" must be one of ${VERCEL_ENVIRONMENTS.join(", ")} (one environment per role)`,
      );
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
      roleName: props.roleName,
      description: `Vercel project ${provider.teamSlug}/${projectName}, ${environment} deployments only`,
      maxSessionDuration: Duration.hours(1),
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
    if (props.teamId) Tags.of(this).add("VercelTeamId", props.teamId);
    if (props.projectId) Tags.of(this).add("VercelProjectId", props.projectId);
  }
}

// --- Bucket -----------------------------------------------------------------------------------

export interface VercelAppBucketProps {
  /** Where S3 server access logs go. @default a dedicated, retained log bucket */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * Origins whose pages may PUT to presigned URLs and GET presigned downloads (browser CORS).
   * Default: Vercel deployments (`https://*.vercel.app`) and `next dev` (`http://localhost:3000`);
   * add your custom domain here.
   */
  readonly browserOrigins?: string[];
}

const DEFAULT_BROWSER_ORIGINS = ["https://*.vercel.app", "http://localhost:3000"];

/**
 * A private bucket for the app: public access blocked, TLS only, S3-managed encryption,
 * versioned, and kept when the stack is deleted (data outlives infrastructure).
 */
export class VercelAppBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: VercelAppBucketProps = {}) {
    const accessLogsBucket =
      props.accessLogsBucket ?? newAccessLogsBucket(scope, `${id}AccessLogs`);
    super(scope, id, {
      ...PRIVATE_BUCKET,
      versioned: true,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: "s3-access/",
      // Versioning keeps every overwrite; old versions are only worth a month of storage.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      // The app uploads from the browser straight to a presigned URL; without CORS the browser
      // refuses. Only signed requests succeed, so this opens nothing by itself.
      cors: [
        {
          allowedOrigins: props.browserOrigins ?? DEFAULT_BROWSER_ORIGINS,
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
          allowedHeaders: ["content-type", "content-length"],
          maxAge: 3600,
        },
      ],
    });
  }

  /** List this bucket and get/put/delete its objects: exact actions, this bucket only. */
  grantObjectReadWrite(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucketArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [this.arnForObjects("*")],
      }),
    );
    // cdk-nag reports "<bucket>/*" as a wildcard; it is the object ARN of this one bucket.
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.stack.getLogicalId(this.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: "Object-level actions on the objects of this one bucket; no other resource.",
    });
  }
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
