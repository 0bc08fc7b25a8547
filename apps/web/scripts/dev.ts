// pnpm dev [-- next dev flags] (the web app's own `dev` script)
// With no AWS configured (no AWS_ROLE_ARN, no AWS_PROFILE in the root .env or the environment),
// starts the sandbox and runs `next dev` on it: the app takes the real OIDC path against local
// AWS. Otherwise runs `next dev` with the user's own configuration. Without moto it stops before
// anything starts, with one line naming the command that installs it on this OS.

import { readFile } from "node:fs/promises";
import { runCli } from "@repo/infra/cli";
import { readInfraEnv } from "@repo/infra/config";
import { MotoUnavailableError, startSandbox } from "@repo/sandbox";
import { DEFAULT_STATE_DIR, readRunningSandbox } from "@repo/sandbox/state";
import { formatSandboxSummary } from "@repo/sandbox/summary";
import { parse as parseDotenv } from "dotenv";
import pc from "picocolors";
import { NETWORK_FLAG } from "./listen";
import { runNext } from "./next-process";

/** Why the user's own AWS configuration applies, or undefined when they configured none. */
export function configuredAws(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  for (const name of ["AWS_ROLE_ARN", "AWS_PROFILE"]) {
    if (env[name]?.trim()) return `${name} is set`;
  }
  return undefined;
}

/** The app's environment from a sandbox: one already running (`pnpm sandbox`), else a new one. */
async function sandboxForApp(): Promise<
  { appEnv: Record<string, string>; stop(): Promise<void> } | undefined
> {
  const running = await readRunningSandbox(DEFAULT_STATE_DIR);
  if (running) {
    console.log(
      pc.dim(`Using the sandbox already running (pid ${running.pid}, ${running.endpoint}).`),
    );
    return { appEnv: parseDotenv(await readFile(running.appEnvFile)), stop: async () => {} };
  }
  console.log(pc.dim("No AWS_ROLE_ARN or AWS_PROFILE configured: starting the local sandbox…"));
  try {
    const sandbox = await startSandbox({ log: (line) => console.log(pc.dim(`[sandbox] ${line}`)) });
    console.log(formatSandboxSummary(sandbox, process.uptime() * 1000));
    return sandbox;
  } catch (error) {
    if (error instanceof MotoUnavailableError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    console.error(pc.yellow(`The sandbox did not start: ${message}`));
    console.error(pc.yellow("Starting the app anyway; its page shows the setup steps."));
    return undefined;
  }
}

const USAGE = `usage: pnpm dev [-- next dev options] [-- ${NETWORK_FLAG}]

Runs next dev for apps/web on 127.0.0.1. With no AWS_ROLE_ARN and no AWS_PROFILE in the root .env
or the environment it first starts the local sandbox (or uses the one \`pnpm sandbox\` runs), so
the app takes the real OIDC path against local AWS. Options after -- go to next dev;
${NETWORK_FLAG} listens on every interface instead (anyone on your network reaches the app).`;

runCli(async () => {
  const args = process.argv.slice(2);
  if (args[0] === "--help" || args[0] === "-h") {
    console.log(USAGE);
    return 0;
  }
  const reason = configuredAws(readInfraEnv());
  let sandbox: Awaited<ReturnType<typeof sandboxForApp>>;
  try {
    sandbox = reason ? undefined : await sandboxForApp();
  } catch (error) {
    if (!(error instanceof MotoUnavailableError)) throw error;
    // Found out before the sandbox or next dev started anything: the one line, then stop.
    console.error(pc.red(error.message));
    return 1;
  }
  if (reason) console.log(pc.dim(`${reason}: running next dev with your AWS configuration.`));

  const code = await runNext("dev", args, { ...process.env, ...sandbox?.appEnv });
  await sandbox?.stop();
  return code;
});
