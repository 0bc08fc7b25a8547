// A sandbox for tests: its own temporary state folder (never the developer's `.sandbox/`), free
// ports, the sample configuration unless the test says otherwise; stopping it removes the folder.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SandboxHandle, type SandboxOptions, startSandbox } from "../src/index";
import { SAMPLE_CONFIG } from "./sample-config";

export interface TestSandbox extends SandboxHandle {
  /** The temporary folder holding state.json, app.env and the token file. */
  stateDir: string;
}

export async function startTestSandbox(
  options: Omit<SandboxOptions, "stateDir"> = {},
): Promise<TestSandbox> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-test-sandbox-"));
  try {
    const sandbox = await startSandbox({ ...options, stateDir, env: options.env ?? SAMPLE_CONFIG });
    const stopSandbox = sandbox.stop;
    const stop = async () => {
      await stopSandbox();
      await rm(stateDir, { recursive: true, force: true });
    };
    return Object.assign(sandbox, { stateDir, stop });
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}
