// Every import of the sandbox (and of verify) lives here, so moving those packages is a one-line
// change. Nothing else in this workspace imports @repo/infra, @repo/sandbox or @repo/ops.
import { fileURLToPath } from "node:url";
import { type InfraEnv, loadInfraConfig } from "@repo/infra/config";
import { VercelEnvApi } from "@repo/ops/vercel-api";
import { runVerify, type VerifyReport } from "@repo/ops/verify";
import { type SandboxOptions, startSandbox } from "@repo/sandbox";
import { DEFAULT_STATE_DIR, readRunningSandbox } from "@repo/sandbox/state";
import { SANDBOX_VERCEL_TOKEN } from "@repo/sandbox/vercel-api";

export { MotoUnavailableError, SandboxConfigError } from "@repo/sandbox";
export { corepackMissingLine } from "@repo/sandbox/prerequisites";

export type VercelEnvironment = "production" | "preview" | "development";

/** What the harness needs from a sandbox, whether it started it or found one running. */
export interface SandboxAccess {
  endpoint: string;
  issuerUrl: string;
  region: string;
  stackName: string;
  roleArns: Record<string, string>;
  bucket: string;
  /** Each environment's app resources' variables (infra/stack/src/app-resources.ts). */
  appVariables?: Record<string, Record<string, string>>;
  /** The sandbox's Vercel API stand-in and the project it holds (sandbox state.json). */
  vercelApiUrl?: string;
  vercelProject?: { teamSlug: string; name: string };
  /** True when this process started it (and stops it on exit). */
  owned: boolean;
  stop(): Promise<void>;
}

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * The sandbox `pnpm sandbox` / `pnpm dev` runs (its state folder: `.sandbox/`, or
 * KEYLESS_SANDBOX_DIR), or undefined when none runs.
 */
export async function findRunningSandbox(
  stateDir = DEFAULT_STATE_DIR,
): Promise<SandboxAccess | undefined> {
  const state = await readRunningSandbox(stateDir);
  return state ? { ...pickAccess(state), owned: false, stop: async () => {} } : undefined;
}

function pickAccess(state: Omit<SandboxAccess, "owned" | "stop">) {
  const { endpoint, issuerUrl, region, stackName, roleArns, bucket } = state;
  const { vercelApiUrl, vercelProject, appVariables } = state;
  return {
    endpoint,
    issuerUrl,
    region,
    stackName,
    roleArns,
    bucket,
    appVariables,
    vercelApiUrl,
    vercelProject,
  };
}

/**
 * The variables the sandbox's Vercel project holds for `environment` — what `pnpm vercel:env
 * --sandbox --apply` set — or undefined when it holds no AWS_ROLE_ARN there (nothing applied yet).
 * Plain values only (vercel:env writes its variables plain; others read back encrypted).
 */
export async function sandboxProjectVariables(
  sandbox: Pick<SandboxAccess, "vercelApiUrl" | "vercelProject">,
  environment: VercelEnvironment,
): Promise<Record<string, string> | undefined> {
  if (!sandbox.vercelApiUrl || !sandbox.vercelProject) return undefined;
  // The same client as `pnpm vercel:env`, pointed at the sandbox's stand-in.
  const api = new VercelEnvApi({
    token: SANDBOX_VERCEL_TOKEN,
    baseUrl: sandbox.vercelApiUrl,
    project: { idOrName: sandbox.vercelProject.name, teamSlug: sandbox.vercelProject.teamSlug },
  });
  const variables = Object.fromEntries(
    (await api.list())
      .filter((v) => v.type === "plain" && !v.gitBranch && v.target.includes(environment))
      .map((v) => [v.key, v.value ?? ""]),
  );
  return variables.AWS_ROLE_ARN ? variables : undefined;
}

export async function startOwnSandbox(options: SandboxOptions): Promise<SandboxAccess> {
  const sandbox = await startSandbox(options);
  return {
    ...pickAccess({ ...sandbox, roleArns: sandbox.roleArns as Record<string, string> }),
    owned: true,
    stop: () => sandbox.stop(),
  };
}

/** Tokens whose lifetime a test controls (the issuer's default is Vercel's documented TTL). */
export interface TokenLifetime {
  lifetimeSeconds?: number;
  /** Already past its exp (by more than IAM's clock skew). */
  expired?: boolean;
}

/** A fresh Vercel-shaped token from the sandbox's issuer (POST /mint; the key never leaves it). */
export async function mintToken(
  issuerUrl: string,
  environment: VercelEnvironment,
  lifetime: TokenLifetime = {},
): Promise<string> {
  const response = await fetch(`${issuerUrl}/mint`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ environment, ...lifetime }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token) {
    throw new Error(`the sandbox issuer refused to mint: ${body.error ?? response.status}`);
  }
  return body.token;
}

/** `pnpm verify --sandbox`'s checks, through verify's own API, against this sandbox. */
export async function verifySandbox(
  sandbox: Pick<SandboxAccess, "endpoint" | "region" | "stackName">,
  identity: { team: string; project: string },
  sinceMs: number,
): Promise<VerifyReport> {
  const env: InfraEnv = {
    VERCEL_TEAM_SLUG: identity.team,
    VERCEL_PROJECT_NAME: identity.project,
    AWS_REGION: sandbox.region,
    KEYLESS_STACK_NAME: sandbox.stackName,
    AWS_ENDPOINT_URL: sandbox.endpoint,
  };
  const outcome = await runVerify(
    { sinceMs, waitMs: 10_000 },
    {
      config: loadInfraConfig(env),
      env,
      // The emulator checks no signature: the same placeholder keys `verify --sandbox` uses.
      credentials: {
        value: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
        source: "the sandbox's placeholder credentials",
      },
    },
  );
  return outcome.report;
}
