import "server-only";
import { type CredentialMode, diagnose } from "@repo/aws-auth/mode";
import { type AwsClients, awsClients } from "./aws";
import { isProductionDeployment } from "./deployment";
import { type CallerIdentity, rememberedCallerIdentity } from "./identity";
import { STS_CHECK_INTERVAL_MS } from "./limits";
import { forVisitors, type PublicError, toPublicError } from "./public-error";
import { notConfiguredTitle, setupStepsFor } from "./setup-steps";

/**
 * The body of GET /api/health in production: whether AWS answers, and the name of the role (which
 * `pnpm verify --url` matches against the stack). No ARN: it would carry the account id.
 */
export interface BriefHealth {
  ok: boolean;
  mode: CredentialMode;
  roleName?: string;
  error?: PublicError;
}

/** Preview and development add what helps to debug the setup. Still no secrets. */
export interface DetailedHealth extends Omit<BriefHealth, "error" | "roleName"> {
  roleArn?: string;
  because: string[];
  region?: string;
  vercelEnv?: string;
  sessionName: string;
  identity?: CallerIdentity;
  /** STS exchanges this process has made (1 for as long as the credentials last). */
  exchanges?: number;
  credentialsExpireAt?: string;
  findings: { code: string; severity: string; message: string; fix: string }[];
  error?: PublicError;
}

export interface HealthReport {
  status: 200 | 503;
  body: BriefHealth | DetailedHealth;
}

export interface HealthOptions {
  env?: NodeJS.ProcessEnv;
  clients?: () => AwsClients;
}

/** Asks STS who we are with the configured credentials: 200 when it answers, 503 otherwise. */
export async function checkHealth(options: HealthOptions = {}): Promise<HealthReport> {
  const env = options.env ?? process.env;
  const resolution = diagnose(env);
  let identity: CallerIdentity | undefined;
  let error: PublicError | undefined;
  let clients: AwsClients | undefined;
  if (resolution.mode === "none") {
    // Not an error to debug but a step not taken yet: the page's steps, in the same words.
    error = {
      code: "not-configured",
      title: notConfiguredTitle(resolution.onVercel),
      cause: resolution.because.join(" "),
      fixes: setupStepsFor(resolution.onVercel).map(
        (step) => `${step.title}: ${step.commands.join(" && ")}`,
      ),
    };
  } else {
    try {
      clients = (options.clients ?? awsClients)();
      identity = await rememberedCallerIdentity(clients, { maxAgeMs: STS_CHECK_INTERVAL_MS });
    } catch (caught) {
      error = toPublicError(caught, resolution);
    }
  }

  const ok = identity !== undefined;
  // The OIDC modes assume the configured role (its ARN keeps any IAM path, which the assumed-role
  // ARN drops); a profile may assume whatever role it names, so ask STS.
  const assumesConfiguredRole =
    resolution.mode === "vercel-oidc" || resolution.mode === "web-identity-file";
  const roleArn = assumesConfiguredRole ? resolution.roleArn : identity?.roleArn;
  const status = ok ? 200 : 503;
  if (isProductionDeployment(env)) {
    const body: BriefHealth = { ok, mode: resolution.mode };
    const roleName = roleArn?.split("/").pop();
    if (roleName) body.roleName = roleName;
    if (error) body.error = forVisitors(error, true);
    return { status, body };
  }

  const stats = clients?.credentials.stats();
  const body: DetailedHealth = {
    ok,
    mode: resolution.mode,
    roleArn,
    because: resolution.because,
    region: resolution.region,
    vercelEnv: resolution.vercelEnv,
    sessionName: resolution.sessionName,
    identity,
    exchanges: stats?.exchanges,
    credentialsExpireAt: stats?.expiration?.toISOString(),
    findings: resolution.findings.map(({ code, severity, message, fix }) => ({
      code,
      severity,
      message,
      fix,
    })),
    error,
  };
  return { status, body };
}
