import "server-only";
import { type CredentialResolution, diagnose, type Finding } from "@repo/aws-auth/mode";
import { type AwsClients, awsClients } from "./aws";
import { type CallerIdentity, getCallerIdentity } from "./identity";
import { listObjectPage, type ObjectPage } from "./objects";
import { type PublicError, toPublicError } from "./public-error";

export interface SetupStep {
  title: string;
  text: string;
  commands: string[];
}

export interface DashboardData {
  credentials: Pick<
    CredentialResolution,
    | "mode"
    | "because"
    | "region"
    | "roleArn"
    | "profile"
    | "tokenFile"
    | "endpoint"
    | "sessionName"
    | "onVercel"
    | "vercelEnv"
  >;
  findings: Finding[];
  bucket: string | undefined;
  /** Mode `none`: how to configure AWS, instead of an error. */
  setup?: SetupStep[];
  identity?: CallerIdentity;
  objects?: ObjectPage;
  /** The credentials do not work: nothing else could be read. */
  error?: PublicError;
  /** The credentials work but listing the bucket failed. */
  bucketError?: PublicError;
}

export const SETUP_STEPS: SetupStep[] = [
  {
    title: "Try it locally against the sandbox",
    text: "Runs a local AWS emulator with the same stack and OIDC trust, and this app wired to it.",
    commands: ["pnpm dev"],
  },
  {
    title: "Use your AWS account from this machine",
    text: "Name a profile from ~/.aws/config (SSO, assume-role and credential_process all work) in the repository-root .env, with the region and bucket from the stack outputs.",
    commands: ["AWS_PROFILE=my-profile", "AWS_REGION=us-east-1", "S3_BUCKET=my-bucket"],
  },
  {
    title: "Deploy to Vercel with OIDC",
    text: "Deploy the stack, turn on OIDC federation (team issuer) in the Vercel project, and set these variables there. Never set AWS_WEB_IDENTITY_TOKEN_FILE or access keys on Vercel.",
    commands: [
      "pnpm infra:deploy",
      "AWS_ROLE_ARN=arn:aws:iam::…:role/…",
      "AWS_REGION",
      "S3_BUCKET",
    ],
  },
];

export interface DashboardOptions {
  /** Continuation token of the bucket page to show. */
  after?: string;
  bucket?: string;
  env?: NodeJS.ProcessEnv;
  clients?: () => AwsClients;
}

/** Everything `/` shows, gathered on the server. Never throws for AWS failures: explains them. */
export async function loadDashboard(options: DashboardOptions = {}): Promise<DashboardData> {
  const resolution = diagnose(options.env ?? process.env);
  const data: DashboardData = {
    credentials: {
      mode: resolution.mode,
      because: resolution.because,
      region: resolution.region,
      roleArn: resolution.roleArn,
      profile: resolution.profile,
      tokenFile: resolution.tokenFile,
      endpoint: resolution.endpoint,
      sessionName: resolution.sessionName,
      onVercel: resolution.onVercel,
      vercelEnv: resolution.vercelEnv,
    },
    findings: resolution.findings,
    bucket: options.bucket,
  };
  if (resolution.mode === "none") {
    data.setup = SETUP_STEPS;
    // The setup steps say the same as this finding, at length.
    data.findings = data.findings.filter((finding) => finding.code !== "no-aws-configured");
    return data;
  }

  let clients: AwsClients;
  try {
    clients = (options.clients ?? awsClients)();
  } catch (error) {
    data.error = toPublicError(error, resolution);
    return data;
  }

  const bucket = options.bucket;
  // Both calls wait on the same first STS exchange; run them together.
  const [identity, objects] = await Promise.allSettled([
    getCallerIdentity(clients.sts),
    bucket ? listObjectPage(clients.s3, bucket, options.after) : Promise.resolve(undefined),
  ]);
  if (identity.status === "rejected") {
    data.error = toPublicError(identity.reason, resolution);
    return data;
  }
  data.identity = identity.value;
  if (objects.status === "rejected") data.bucketError = toPublicError(objects.reason, resolution);
  else data.objects = objects.value;
  return data;
}
