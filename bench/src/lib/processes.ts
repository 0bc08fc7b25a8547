import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

export interface Timed {
  code: number | null;
  seconds: number;
  output: string;
}

interface SpawnOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Starts a command in its own process group (so it can be stopped whole), collecting its output. */
function spawnCollecting(command: string, args: string[], options: SpawnOptions) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
  });
  const collected = { text: "" };
  child.stdout?.on("data", (chunk) => (collected.text += chunk));
  child.stderr?.on("data", (chunk) => (collected.text += chunk));
  return { child, collected };
}

/** Runs a command to completion; returns wall time and output. */
export function timed(command: string, args: string[], options: SpawnOptions): Promise<Timed> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const { child, collected } = spawnCollecting(command, args, options);
    const timer = setTimeout(() => killGroup(child), options.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, seconds: (performance.now() - started) / 1000, output: collected.text });
    });
  });
}

/** A long-running command (a server): resolves once `ready()` says so, with the time it took. */
export async function startUntil(
  command: string,
  args: string[],
  options: SpawnOptions,
  ready: (output: string) => Promise<boolean> | boolean,
): Promise<{ seconds: number; output: () => string; stop(): Promise<void> }> {
  const started = performance.now();
  const { child, collected } = spawnCollecting(command, args, options);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${command} exited (${child.exitCode}):\n${collected.text}`);
    }
    if (await ready(collected.text)) {
      return { seconds: (performance.now() - started) / 1000, output: () => collected.text, stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${command} ${args.join(" ")} was not ready in time:\n${collected.text}`);
}

// The whole group: pnpm → turbo/tsx → node → moto, started by us with detached: true.
function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL") {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** True once `url` answers with a status below 500. */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}
