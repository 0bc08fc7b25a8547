import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * Where a sandbox keeps its state: `.sandbox/` at the repo root (git-ignored, holds nothing that
 * outlives a run), or KEYLESS_SANDBOX_DIR (relative to the repo root) when set. Everything that
 * finds a running sandbox follows the same variable: `pnpm dev`, `pnpm vercel:local`, the
 * `--sandbox` commands and the app's env loading. The tests set it, so `pnpm test` never meets
 * the sandbox you run, nor one test's sandbox another's.
 */
export function sandboxStateDir(env: Readonly<Record<string, string | undefined>> = process.env) {
  const dir = env.KEYLESS_SANDBOX_DIR?.trim();
  return dir ? resolve(REPO_ROOT, dir) : join(REPO_ROOT, ".sandbox");
}

export const DEFAULT_STATE_DIR = sandboxStateDir();

export const STATE_FILE = "state.json";
export const APP_ENV_FILE = "app.env";
export const TOKEN_FILE = "web-identity-token";

/** What `pnpm sandbox token` (and anyone else) needs to find a running sandbox. No secrets. */
export interface SandboxState {
  pid: number;
  startedAt: string;
  endpoint: string;
  issuerUrl: string;
  motoEndpoint: string;
  motoPid: number;
  region: string;
  stackName: string;
  roleArns: Record<string, string>;
  bucket: string;
  tokenFile: string;
  appEnvFile: string;
  /** The sandbox's Vercel API (vercel-api.ts); its token is SANDBOX_VERCEL_TOKEN. */
  vercelApiUrl?: string;
  /** The project it holds: the configured team (slug) and project name. */
  vercelProject?: { teamSlug: string; name: string };
  /** The sandbox's GitHub API (github-api.ts); its token is SANDBOX_GITHUB_TOKEN. */
  githubApiUrl?: string;
  /** Each environment's app resources (infra/stack/src/app-resources.ts): variable → name. */
  appVariables?: Record<string, Record<string, string>>;
}

/** Writes a file only its owner can read, atomically (readers never see half a token). */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, path);
}

export async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const previous = await readSandboxState(stateDir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new Error(
      `A sandbox is already running (pid ${previous.pid}, endpoint ${previous.endpoint}). Stop it with Ctrl-C in its terminal (or kill ${previous.pid}), or give this one another state directory.`,
    );
  }
  // A restart starts clean: whatever a crashed run left behind goes.
  await clearStateFiles(stateDir);
}

export async function clearStateFiles(stateDir: string): Promise<void> {
  await Promise.all(
    [STATE_FILE, APP_ENV_FILE, TOKEN_FILE].map((name) => rm(join(stateDir, name), { force: true })),
  );
}

export async function readSandboxState(stateDir: string): Promise<SandboxState | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, STATE_FILE), "utf8")) as SandboxState;
  } catch {
    return undefined;
  }
}

/** A running sandbox's state, or undefined when none runs (a stale file is ignored). */
export async function readRunningSandbox(stateDir: string): Promise<SandboxState | undefined> {
  const state = await readSandboxState(stateDir);
  return state && isAlive(state.pid) ? state : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** dotenv lines; values quoted only when they need it. */
export function formatDotenv(values: Record<string, string>, header: string[] = []): string {
  const lines = header.map((line) => `# ${line}`);
  for (const [key, value] of Object.entries(values)) {
    lines.push(
      /^[\w@%+=:,./-]*$/.test(value) ? `${key}=${value}` : `${key}=${JSON.stringify(value)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
