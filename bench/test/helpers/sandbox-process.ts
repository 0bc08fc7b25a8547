import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SandboxHandle } from "@repo/sandbox";
import { isolatedInfraEnv } from "@repo/sandbox/test-kit/sample-config";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** What the running sandbox wrote to its state.json (no secrets), plus where its output went. */
export interface RunningSandbox
  extends Pick<
    SandboxHandle,
    | "endpoint"
    | "issuerUrl"
    | "region"
    | "stackName"
    | "roleArns"
    | "bucket"
    | "tokenFile"
    | "appEnvFile"
  > {
  /** Everything the sandbox process printed (stdout and stderr), for the secrets test. */
  outputFile: string;
  stateDir: string;
}

/**
 * The sandbox exactly as a developer runs it (`pnpm sandbox`, i.e. infra/sandbox/bin/sandbox.ts), with its
 * state in a temporary folder and the sample team/project whatever the repo's .env says.
 */
export async function spawnSandbox(): Promise<{
  sandbox: RunningSandbox;
  stop(): Promise<void>;
}> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-bench-suite-"));
  const outputFile = join(stateDir, "sandbox-output.log");
  const output = createWriteStream(outputFile);
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "bin/sandbox.ts", "--state-dir", stateDir],
    {
      cwd: join(REPO_ROOT, "infra/sandbox"),
      // The sample team/project, whatever the repo's .env says (blank = the default).
      env: { ...isolatedInfraEnv(), HOME: process.env.HOME, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  child.stdout?.pipe(output, { end: false });
  child.stderr?.pipe(output, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    output.end();
  };

  const deadline = Date.now() + 150_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(
          `the sandbox exited (${child.exitCode}):\n${await readFile(outputFile, "utf8")}`,
        );
      }
      const state = await readFile(join(stateDir, "state.json"), "utf8").catch(() => undefined);
      if (state) {
        const parsed = JSON.parse(state) as Omit<RunningSandbox, "outputFile" | "stateDir">;
        return { sandbox: { ...parsed, outputFile, stateDir }, stop: cleanup };
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(
      `the sandbox was not ready after 150 s:\n${await readFile(outputFile, "utf8")}`,
    );
  } catch (error) {
    await cleanup();
    throw error;
  }

  async function cleanup() {
    await stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
