// `--sandbox` (`pnpm verify`, `pnpm vercel:env`): the same command against the running local
// sandbox. Only what the sandbox itself does differently changes — its AWS endpoint, its stack
// name and region, placeholder credentials (the gateway signs the sandbox's own calls), its
// Vercel and GitHub API stand-ins and their token, and the sample team/project where none is set.

import { UsageError } from "@repo/infra/cli";
import type { InfraEnv } from "@repo/infra/config";
import { SANDBOX_GITHUB_TOKEN } from "@repo/sandbox/github-api";
import { DEFAULT_STATE_DIR, readRunningSandbox } from "@repo/sandbox/state";
import { SANDBOX_DEFAULTS } from "@repo/sandbox/synthesis";
import { SANDBOX_VERCEL_TOKEN } from "@repo/sandbox/vercel-api";

/** `--sandbox` with no sandbox running: the command was called against nothing, exit 2. */
export class NoSandboxError extends UsageError {
  override readonly name = "NoSandboxError";
}

export const SANDBOX_CREDENTIALS = {
  value: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  source: "the sandbox's placeholder credentials",
};

/** The infra environment pointed at the running sandbox; throws NoSandboxError when none runs. */
export async function sandboxEnv(
  env: InfraEnv,
  stateDir = DEFAULT_STATE_DIR,
  command = "pnpm verify --sandbox",
): Promise<InfraEnv> {
  const state = await readRunningSandbox(stateDir);
  if (!state) {
    throw new NoSandboxError(
      `--sandbox: no sandbox is running. Start one with \`pnpm sandbox\` in another terminal, then run \`${command}\` again.`,
    );
  }
  const pick = (name: keyof typeof SANDBOX_DEFAULTS) =>
    env[name]?.trim() ? env[name] : SANDBOX_DEFAULTS[name];
  return {
    ...env,
    VERCEL_TEAM_SLUG: pick("VERCEL_TEAM_SLUG"),
    VERCEL_PROJECT_NAME: pick("VERCEL_PROJECT_NAME"),
    AWS_REGION: state.region,
    KEYLESS_STACK_NAME: state.stackName,
    AWS_ENDPOINT_URL: state.endpoint,
    AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.value.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.value.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    // A real account's provider or profile means nothing inside the emulator.
    OIDC_PROVIDER_ARN: undefined,
    AWS_PROFILE: undefined,
    // A real Vercel project and token mean nothing here either: the sandbox's stand-in, and none
    // at all from a sandbox too old to serve one (never the real API with your real token).
    VERCEL_API_URL: state.vercelApiUrl,
    VERCEL_TOKEN: state.vercelApiUrl ? SANDBOX_VERCEL_TOKEN : undefined,
    // Likewise its stand-in of GitHub's API, holding the configured repository.
    GITHUB_API_URL: state.githubApiUrl,
    GITHUB_TOKEN: state.githubApiUrl ? SANDBOX_GITHUB_TOKEN : undefined,
  };
}
