import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SandboxHandle, startSandbox } from "@repo/sandbox";

export interface BenchSandbox extends SandboxHandle {
  /** Lines the sandbox logged (never a token: the secrets test checks). */
  logLines: string[];
  /** Milliseconds from start to ready. */
  readyMs: number;
  /** Stops the sandbox and removes its state folder. */
  dispose(): Promise<void>;
}

/**
 * The local sandbox on free ports with its state in a temporary folder, so it never collides with
 * a `pnpm sandbox` the developer has running. `env: {}` = the sample team and project (acme/web,
 * production only) whatever the repo's .env says.
 */
export async function startBenchSandbox(
  options: { tokenLifetimeSeconds?: number } = {},
): Promise<BenchSandbox> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-bench-"));
  const logLines: string[] = [];
  const started = performance.now();
  let sandbox: SandboxHandle;
  try {
    sandbox = await startSandbox({
      stateDir,
      env: {},
      log: (line) => logLines.push(line),
      ...(options.tokenLifetimeSeconds
        ? { tokenLifetimeSeconds: options.tokenLifetimeSeconds }
        : {}),
    });
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  const readyMs = performance.now() - started;
  return Object.assign(sandbox, {
    logLines,
    readyMs,
    dispose: async () => {
      await sandbox.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  });
}

export function productionRole(sandbox: SandboxHandle): string {
  const role = sandbox.roleArns.production;
  if (!role) throw new Error("the sandbox deployed no production role");
  return role;
}
