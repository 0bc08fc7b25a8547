import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/moto";

export const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const NEXT_BIN = fileURLToPath(new URL("../node_modules/next/dist/bin/next", import.meta.url));
const SERVE_SCRIPT = fileURLToPath(new URL("../scripts/serve.ts", import.meta.url));

/**
 * A build of its own, so the CSP names this sandbox's endpoint, the normal build stays intact, and
 * a `next build` elsewhere (which empties .next) cannot pull files from under the running servers.
 * Under node_modules/.cache: ignored by git and Biome, kept between runs for Turbopack's cache.
 */
export const E2E_DIST_DIR = "node_modules/.cache/keyless-e2e";

/**
 * Variables that would change the credential mode if the developer's root .env set them. Empty
 * values win over the file (the process environment always does) and count as unset.
 */
const HERMETIC: Record<string, string> = {
  AWS_PROFILE: "",
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
  AWS_SESSION_TOKEN: "",
  AWS_ENDPOINT_URL_S3: "",
  AWS_ENDPOINT_URL_STS: "",
  VERCEL: "",
  VERCEL_ENV: "",
  VERCEL_OIDC_TOKEN: "",
  KEYLESS_PREFLIGHT: "",
};

export function appProcessEnv(appEnv: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...HERMETIC,
    ...appEnv,
    KEYLESS_DIST_DIR: E2E_DIST_DIR,
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

function tail(chunks: string[]): string {
  return chunks.join("").split("\n").slice(-30).join("\n");
}

export async function buildApp(env: NodeJS.ProcessEnv): Promise<void> {
  const output: string[] = [];
  const child = spawn(process.execPath, [NEXT_BIN, "build"], { cwd: APP_DIR, env, stdio: "pipe" });
  child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${tail(output)}`);
}

export interface AppServer {
  url: string;
  /** The serve script's process (next start is its child). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * The app's own `serve` script (next start, on loopback unless `extraArgs` says --network) on a
 * free port, ready when it answers; its output goes to `logFile` as well.
 */
export async function startApp(
  env: NodeJS.ProcessEnv,
  logFile: string,
  extraArgs: string[] = [],
): Promise<AppServer> {
  const port = await freePort();
  await mkdir(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", SERVE_SCRIPT, "--port", String(port), ...extraArgs],
    { cwd: APP_DIR, env, stdio: "pipe" },
  );
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited early:\n${tail(output)}`);
    try {
      await fetch(`${url}/icon.svg`);
      return { url, pid: child.pid as number, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  await stop();
  throw new Error(`next start did not answer on ${url}:\n${tail(output)}`);
}
