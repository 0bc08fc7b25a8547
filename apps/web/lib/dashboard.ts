import "server-only";
import { type CredentialResolution, diagnose, type Finding } from "@repo/aws-auth/mode";
import { type AwsClients, awsClients } from "./aws";
import { isProductionDeployment } from "./deployment";
import { type CallerIdentity, rememberedCallerIdentity } from "./identity";
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
  /** A production deployment: the page shows nothing about the account or the configuration. */
  production: boolean;
  /** STS answered GetCallerIdentity with these credentials. */
  connected: boolean;
  /** Mode `none`: how to configure AWS, instead of an error. */
  setup?: SetupStep[];
  /** Started by `pnpm dev` on the local sandbox: the Vercel environment it runs as. */
  sandbox?: string;
  identity?: CallerIdentity;
  /** The credentials do not work: nothing else could be read. */
  error?: PublicError;
}

export interface DashboardOptions {
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

  try {
    data.identity = await rememberedCallerIdentity(clients);
  } catch (error) {
    data.error = toPublicError(error, resolution);
    return data;
  }
  data.connected = true;
  return data;
}

/**
 * What a production visitor may see: the mode and whether AWS answered. No account id, role ARN, session name, endpoint, token claim or AWS message: those go to
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
    production: true,
    connected: data.connected,
  };
  if (data.setup) view.setup = data.setup;
  if (data.sandbox) view.sandbox = data.sandbox;
  if (data.error) view.error = forVisitors(data.error, true);
  return view;
}
