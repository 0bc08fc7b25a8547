// A moto server (real third-party AWS emulator) for one test file: a free port on 127.0.0.1,
// ready before the tests start, killed afterwards. Missing moto fails loudly: these tests are
// the only proof the template deploys, so they are never skipped.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

export const MOTO_ACCOUNT = "123456789012";
export const MOTO_REGION = "us-east-1";

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Spread into any AWS SDK v3 client's constructor. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the free port"));
      });
    });
  });
}

export async function startMoto(options: { readyTimeoutMs?: number } = {}): Promise<MotoServer> {
  const python = "python3";
  const probe = spawnSync(python, ["-c", "import moto.server"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(
      `moto is not available to ${python} (${(probe.stderr || probe.error?.message || "").trim().split("\n").pop()}). ` +
        'Install it with: pip install "moto[server]"',
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilReady(child, endpoint, options.readyTimeoutMs ?? 30_000, () => stderr);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    endpoint,
    port,
    clientConfig: {
      endpoint,
      region: MOTO_REGION,
      // moto accepts any credentials; these are obviously not real ones.
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop: () => stopProcess(child),
  };
}

async function waitUntilReady(
  child: ChildProcess,
  endpoint: string,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto exited with code ${child.exitCode} before it was ready:\n${stderr()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto was not ready at ${endpoint} within ${timeoutMs} ms:\n${stderr()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
