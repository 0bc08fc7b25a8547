// `pnpm verify --sandbox`: the same checks against the running local sandbox. Only what the
// sandbox itself does differently changes — its endpoint, its stack name and region, placeholder
// credentials (the emulator checks no signature), and the sample team/project where none is set.

import { UsageError } from "@repo/infra/cli";
import type { InfraEnv } from "@repo/infra/config";
import { DEFAULT_STATE_DIR, readRunningSandbox } from "@repo/sandbox/state";
import { SANDBOX_DEFAULTS } from "@repo/sandbox/synthesis";

/** `--sandbox` with no sandbox running: the command was called against nothing, exit 2. */
export class NoSandboxError extends UsageError {
  override readonly name = "NoSandboxError";
}

export const SANDBOX_CREDENTIALS = {
  value: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  source: "the sandbox's placeholder credentials",
};

/** The infra environment pointed at the running sandbox; throws NoSandboxError when none runs. */
export async function sandboxVerifyEnv(
  env: InfraEnv,
  stateDir = DEFAULT_STATE_DIR,
): Promise<InfraEnv> {
  const state = await readRunningSandbox(stateDir);
  if (!state) {
    throw new NoSandboxError(
      "--sandbox: no sandbox is running. Start one with `pnpm sandbox` in another terminal, then run `pnpm verify --sandbox` again.",
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
    // A real account's provider or profile means nothing inside the emulator.
    OIDC_PROVIDER_ARN: undefined,
    AWS_PROFILE: undefined,
  };
}
