import { type ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type InfraConfig, type InfraEnv, readInfraEnv } from "@repo/infra/config";
import { sandboxInfraConfig } from "./sandbox-config";
import { isAlive, writePrivateFile } from "./state";

export { SANDBOX_ACCOUNT, SANDBOX_DEFAULTS } from "./sandbox-config";

/** The configuration the sandbox runs with and the template `cdk deploy` would deploy for it. */
export interface SynthesizedSandbox {
  config: InfraConfig;
  template: object;
  /** Stack output names: the role ARN of each environment, and the bucket. */
  outputKeys: {
    roles: Readonly<Record<string, string>>;
    bucket: string;
    /** The GitHub deploy role's ARN, when KEYLESS_GITHUB_REPOSITORY is set. */
    githubDeployRole?: string;
  };
}

/** The configuration is wrong: `message` lists every problem and the variable to fix. */
export class SandboxConfigError extends Error {
  override name = "SandboxConfigError";
}

export type SynthesisReply =
  | { ok: true; result: SynthesizedSandbox }
  | { ok: false; configError: boolean; message: string };

const CHILD = fileURLToPath(new URL("./synthesis-child.ts", import.meta.url));

const SANDBOX_ROOT = fileURLToPath(new URL("../", import.meta.url));
const CACHE_DIR = join(SANDBOX_ROOT, "node_modules", ".cache", "keyless-sandbox");
/** The stack workspace's sources (@repo/infra): the template is made from them. */
const STACK_SRC = dirname(createRequire(import.meta.url).resolve("@repo/infra/config"));

/**
 * What the template is made from: the configuration as resolved (the template depends on nothing
 * else), so environments that spell the same configuration differently — a default written out,
 * an endpoint or a token the stack never reads — share one synthesis. When the configuration does
 * not resolve, the raw variables: the child then reports what is wrong.
 */
function configIdentity(env: InfraEnv): string {
  try {
    return JSON.stringify({ config: sandboxInfraConfig(env) });
  } catch {
    const variables = Object.keys(env)
      .filter((name) => /^(VERCEL_|AWS_|KEYLESS_|OIDC_)/.test(name))
      .sort();
    return JSON.stringify({ env: variables.map((name) => [name, env[name]]) });
  }
}

/**
 * Everything the template depends on: the configuration, the sources that build the stack, and
 * the CDK packages installed. Same key, same template, so synthesis is skipped.
 */
async function templateCacheKey(env: InfraEnv): Promise<string> {
  const hash = createHash("sha256");
  hash.update(configIdentity(env));
  const sources = [
    join(SANDBOX_ROOT, "src/synthesis.ts"),
    join(SANDBOX_ROOT, "src/synthesis-child.ts"),
    join(SANDBOX_ROOT, "src/sandbox-config.ts"),
    ...(await readdir(STACK_SRC, { recursive: true }))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => join(STACK_SRC, file)),
  ].sort();
  for (const source of sources) hash.update(source).update(await readFile(source));
  // The CDK packages are the stack's dependencies: resolved from there.
  const resolve = createRequire(join(STACK_SRC, "config.ts")).resolve;
  for (const pkg of ["aws-cdk-lib", "cdk-nag", "constructs"]) {
    hash.update(await readFile(resolve(`${pkg}/package.json`)));
  }
  return hash.digest("hex").slice(0, 32);
}

/** Where the template for `env` is cached (whether or not it is there yet). */
export async function templateCacheFile(env: InfraEnv): Promise<string> {
  return join(CACHE_DIR, `${await templateCacheKey(env)}.json`);
}

/**
 * The configuration and template for `env` (undefined = the repo-root .env under the process
 * environment): from the cache when nothing they depend on changed, else synthesized in a child.
 */
export function synthesizeSandbox(
  env: InfraEnv | undefined,
  workDir: string,
): { result: Promise<SynthesizedSandbox>; cancel(): void } {
  const effectiveEnv = env ?? readInfraEnv();
  let child: ReturnType<typeof synthesizeInChild> | undefined;
  let cancelled = false;
  const result = (async () => {
    const cacheFile = await templateCacheFile(effectiveEnv);
    const cached = await readCached(cacheFile);
    if (cached) return cached;
    // Several test runners often start a sandbox with the same configuration at once: one
    // synthesizes, the others wait for its cache file instead of loading the CDK too.
    await mkdir(CACHE_DIR, { recursive: true });
    const lock = await takeLock(`${cacheFile}.lock`);
    try {
      if (!lock) {
        const theirs = await waitForCache(cacheFile, `${cacheFile}.lock`, () => cancelled);
        if (theirs) return theirs;
      }
      if (cancelled) throw new Error("cancelled");
      child = synthesizeInChild(effectiveEnv, workDir);
      const synthesized = await child.result;
      await writePrivateFile(cacheFile, JSON.stringify(synthesized));
      return synthesized;
    } finally {
      if (lock) await releaseLock(`${cacheFile}.lock`);
    }
  })();
  return {
    result,
    cancel: () => {
      cancelled = true;
      child?.cancel();
    },
  };
}

async function readCached(cacheFile: string): Promise<SynthesizedSandbox | undefined> {
  try {
    return JSON.parse(await readFile(cacheFile, "utf8")) as SynthesizedSandbox;
  } catch {
    return undefined; // not cached yet (or unreadable): synthesize
  }
}

/** A synthesis that has held its lock this long has died; a live one takes seconds. */
const STALE_LOCK_MS = 120_000;

/** This process's mark in a lock file: a lock is only ever removed by the process that wrote it. */
const OWNER = `${process.pid}:${Date.now()}:${Math.random()}`;

/** Gone when its holder died (killed mid-synthesis: no `finally` ran) or held it too long. */
async function isStale(lockFile: string): Promise<boolean> {
  try {
    const [pid = ""] = (await readFile(lockFile, "utf8")).split(":");
    const age = Date.now() - (await stat(lockFile)).mtimeMs;
    return !isAlive(Number(pid)) || age > STALE_LOCK_MS;
  } catch {
    return false; // gone already, or being written: not stale
  }
}

/** True when this process now holds the lock; false while a live process holds it. */
async function takeLock(lockFile: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockFile, OWNER, { flag: "wx" });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return false;
      if (!(await isStale(lockFile))) return false;
      await rm(lockFile, { force: true });
    }
  }
  return false;
}

async function releaseLock(lockFile: string): Promise<void> {
  const holder = await readFile(lockFile, "utf8").catch(() => "");
  if (holder === OWNER) await rm(lockFile, { force: true });
}

/**
 * Waits while a live process holds the lock; its template, or undefined when it gave up or died
 * (lock gone or stale, no cache: this process synthesizes after all).
 */
async function waitForCache(
  cacheFile: string,
  lockFile: string,
  cancelled: () => boolean,
): Promise<SynthesizedSandbox | undefined> {
  while (!cancelled()) {
    const cached = await readCached(cacheFile);
    if (cached) return cached;
    const held = await stat(lockFile).then(
      () => true,
      () => false,
    );
    if (!held || (await isStale(lockFile))) return readCached(cacheFile);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

/**
 * Loads the configuration and synthesizes the stack in a short-lived child process: the CDK
 * (with cdk-nag) takes ~300 MB that a process never gives back, and the sandbox runs for hours.
 * `env` undefined = the child reads the repo-root .env under its environment.
 */
/**
 * A synthesis child that finished its last synthesis, kept for this long in case this process
 * starts another sandbox (test files, one after the other): loading aws-cdk-lib and the first
 * synthesis are most of a synthesis's work. Then it is let go; it never holds this process open.
 */
const IDLE_CHILD_MS = 15_000;
let idleChild: { child: ChildProcess; timer: NodeJS.Timeout } | undefined;

function spawnSynthesisChild(): ChildProcess {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return fork(CHILD, [], {
    execArgv: ["--import", tsxLoader],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
}

/** Tests only: the pid of the child kept for the next synthesis, if one is kept. */
export function idleSynthesisChildPid(): number | undefined {
  return idleChild?.child.pid;
}

/** The idle child if one is alive, else a new one; referenced while it works. */
function takeSynthesisChild(): ChildProcess {
  const idle = idleChild;
  idleChild = undefined;
  if (idle) clearTimeout(idle.timer);
  if (idle?.child.connected && idle.child.exitCode === null) {
    idle.child.ref();
    idle.child.channel?.ref();
    (idle.child.stderr as Socket | null)?.ref();
    return idle.child;
  }
  return spawnSynthesisChild();
}

/** Keeps a child that answered for the next synthesis (one at a time), unreferenced. */
function releaseSynthesisChild(child: ChildProcess): void {
  if (idleChild || !child.connected) {
    child.disconnect?.();
    return;
  }
  child.unref();
  child.channel?.unref();
  (child.stderr as Socket | null)?.unref();
  const timer = setTimeout(() => {
    if (idleChild?.child === child) idleChild = undefined;
    if (child.connected) child.disconnect();
  }, IDLE_CHILD_MS);
  timer.unref();
  idleChild = { child, timer };
}

export function synthesizeInChild(
  env: InfraEnv | undefined,
  workDir: string,
): { result: Promise<SynthesizedSandbox>; cancel(): void } {
  const child = takeSynthesisChild();
  let stderr = "";
  const onStderr = (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  };
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", onStderr);
  const result = new Promise<SynthesizedSandbox>((resolve, reject) => {
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`synthesizing the stack failed (exit ${code}):\n${stderr.trim()}`));
    };
    const onMessage = (message: unknown) => {
      cleanup();
      const reply = message as SynthesisReply;
      releaseSynthesisChild(child);
      if (reply.ok) resolve(reply.result);
      else
        reject(
          reply.configError ? new SandboxConfigError(reply.message) : new Error(reply.message),
        );
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
      child.off("error", reject);
      child.stderr?.off("data", onStderr);
    };
    child.once("message", onMessage);
    child.once("exit", onExit);
    child.once("error", reject);
  });
  child.send({ env: env ?? null, workDir });
  return {
    result,
    cancel: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
