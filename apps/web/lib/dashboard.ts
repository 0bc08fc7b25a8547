import "server-only";
import { type CredentialResolution, diagnose, type Finding } from "@repo/aws-auth/mode";
import { type AwsClients, awsClients } from "./aws";
import { type DemoAccess, demoScope } from "./demo";
import { isProductionDeployment } from "./deployment";
import { type CallerIdentity, rememberedCallerIdentity } from "./identity";
import { listObjectPage, type ObjectPage } from "./objects";
import { forVisitors, type PublicError, toPublicError } from "./public-error";
import { type SetupStep, setupStepsFor } from "./setup-steps";

export type { SetupStep } from "./setup-steps";

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
  /** What visitors may do with the bucket here (see lib/demo.ts). */
  demo: DemoAccess;
  /** A production deployment: the page shows nothing about the account or the configuration. */
  production: boolean;
  /** STS answered GetCallerIdentity with these credentials. */
  connected: boolean;
  /** Mode `none`: how to configure AWS, instead of an error. */
  setup?: SetupStep[];
  /** Started by `pnpm dev` on the local sandbox: the Vercel environment it runs as. */
  sandbox?: string;
  identity?: CallerIdentity;
  objects?: ObjectPage;
  /** The credentials do not work: nothing else could be read. */
  error?: PublicError;
  /** The credentials work but listing the bucket failed. */
  bucketError?: PublicError;
}

export interface DashboardOptions {
  /** Continuation token of the bucket page to show. */
  after?: string;
  bucket?: string;
  env?: NodeJS.ProcessEnv;
  clients?: () => AwsClients;
}

/** Everything `/` shows, gathered on the server. Never throws for AWS failures: explains them. */
export async function loadDashboard(options: DashboardOptions = {}): Promise<DashboardData> {
  const env = options.env ?? process.env;
  const production = isProductionDeployment(env);
  const data = await gatherDashboard(options, env);
  return production ? forProductionVisitors(data) : data;
}

async function gatherDashboard(
  options: DashboardOptions,
  env: NodeJS.ProcessEnv,
): Promise<DashboardData> {
  const resolution = diagnose(env);
  const scope = demoScope(env);
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
    demo: scope.access,
    production: isProductionDeployment(env),
    connected: false,
  };
  // Only off Vercel: a sandbox variable that slipped into a deployment means nothing there.
  if (env.KEYLESS_SANDBOX && !resolution.onVercel) data.sandbox = env.KEYLESS_SANDBOX;
  if (resolution.mode === "none") {
    data.setup = setupStepsFor(resolution.onVercel);
    // The setup steps say the same as these findings, at length.
    const saidBySteps = new Set(["no-aws-configured", "role-missing-on-vercel"]);
    data.findings = data.findings.filter((finding) => !saidBySteps.has(finding.code));
    return data;
  }

  let clients: AwsClients;
  try {
    clients = (options.clients ?? awsClients)();
  } catch (error) {
    data.error = toPublicError(error, resolution);
    return data;
  }

  // Production with the demo off lists nothing; otherwise only this deployment's own keys.
  const bucket = scope.access === "off" ? undefined : options.bucket;
  // Both calls wait on the same first STS exchange; run them together.
  const [identity, objects] = await Promise.allSettled([
    rememberedCallerIdentity(clients),
    bucket
      ? listObjectPage(clients.s3, bucket, options.after, undefined, scope.keyPrefix)
      : Promise.resolve(undefined),
  ]);
  if (identity.status === "rejected") {
    data.error = toPublicError(identity.reason, resolution);
    return data;
  }
  data.identity = identity.value;
  data.connected = true;
  if (objects.status === "rejected") data.bucketError = toPublicError(objects.reason, resolution);
  else data.objects = objects.value;
  return data;
}

/**
 * What a production visitor may see: the mode, whether AWS answered, the demo's objects when it
 * is on. No account id, role ARN, session name, endpoint, token claim or AWS message: those go to
 * the function log, where the owner looks.
 */
export function forProductionVisitors(data: DashboardData): DashboardData {
  if (data.findings.length > 0) {
    console.error(`keyless: findings: ${JSON.stringify(data.findings)}`);
  }
  const view: DashboardData = {
    credentials: {
      mode: data.credentials.mode,
      because: [],
      region: undefined,
      roleArn: undefined,
      profile: undefined,
      tokenFile: undefined,
      endpoint: undefined,
      sessionName: "",
      onVercel: data.credentials.onVercel,
      vercelEnv: data.credentials.vercelEnv,
    },
    findings: [],
    bucket: undefined,
    demo: data.demo,
    production: true,
    connected: data.connected,
  };
  if (data.setup) view.setup = data.setup;
  if (data.sandbox) view.sandbox = data.sandbox;
  if (data.objects) view.objects = data.objects;
  if (data.error) view.error = forVisitors(data.error, true);
  if (data.bucketError) view.bucketError = forVisitors(data.bucketError, true);
  return view;
}
