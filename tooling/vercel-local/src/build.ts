// `vercel build`, offline, the way Vercel builds a fresh clone: the repo's files (tracked and
// not ignored, so never `.env`, `.sandbox/` or build output) are copied to a folder of their own,
// linked to a generated project, and built by the real CLI. Nothing in the working tree changes,
// so this never clashes with `pnpm build`, the e2e build or the developer's own `.vercel/`.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { REPO_ROOT } from "./sandbox";

const require = createRequire(import.meta.url);
const VERCEL_BIN = join(dirname(require.resolve("vercel/package.json")), "dist", "vc.js");

/** The project as `vercel link` would write it: root directory apps/web, framework nextjs. */
export const PROJECT_SETTINGS = { framework: "nextjs", rootDirectory: "apps/web" };

export class BuildFailedError extends Error {
  override readonly name = "BuildFailedError";
  constructor(
    readonly logFile: string,
    readonly logTail: string[],
  ) {
    super(`vercel build failed (full log: ${logFile})`);
  }
}

/** One build folder per checkout and label, outside the repo (see the file comment). */
export function stagingDir(label: string): string {
  const checkout = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 10);
  return join(tmpdir(), `keyless-vercel-local-${checkout}`, label);
}

/**
 * Vercel restores a project's build cache (the framework's cache folder, `.next/cache` for
 * Next.js) before each build and saves it after a successful one. Here the cache is shared by the
 * checkout's build folders: a second build (another label, new sources) starts from the first's
 * Turbopack cache, as a redeploy on Vercel does. Measured on 2 cores: `next build` 15.9 → 8.7
 * CPU-seconds with the cache. Best effort both ways: a missing or half-written cache only means
 * a cold build, never a failed one.
 */
const NEXT_CACHE = join(PROJECT_SETTINGS.rootDirectory, ".next", "cache");

function sharedBuildCache(root: string): string {
  return join(dirname(root), "build-cache");
}

async function restoreBuildCache(root: string): Promise<void> {
  await cp(sharedBuildCache(root), join(root, NEXT_CACHE), { recursive: true }).catch(() => {});
}

async function saveBuildCache(root: string): Promise<void> {
  // Written beside the shared folder, then swapped in: a build restoring at the same moment
  // copies the old cache or the new one, not half of each.
  const shared = sharedBuildCache(root);
  const incoming = `${shared}.${process.pid}.${Date.now()}`;
  try {
    await cp(join(root, NEXT_CACHE), incoming, { recursive: true });
    await rm(shared, { recursive: true, force: true });
    await rename(incoming, shared);
  } catch {
    await rm(incoming, { recursive: true, force: true }).catch(() => {});
  }
}

/** Files below `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

async function gitFiles(): Promise<string[]> {
  const out = await capture("git", [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ]);
  return out.split("\0").filter(Boolean);
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks).toString("utf8"))
        : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`)),
    );
  });
}

export async function gitFacts() {
  const [sha, ref, message, author] = await Promise.all([
    capture("git", ["rev-parse", "HEAD"]),
    capture("git", ["rev-parse", "--abbrev-ref", "HEAD"]),
    capture("git", ["log", "-1", "--format=%s"]),
    capture("git", ["log", "-1", "--format=%an"]),
  ]);
  return { sha: sha.trim(), ref: ref.trim(), message: message.trim(), author: author.trim() };
}

export interface BuildRequest {
  environment: string;
  /** Names the build folder: builds with different labels never share (or clobber) one. */
  label?: string;
  /** The build's whole environment (see environment.ts). */
  env: Record<string, string>;
  /** Variables that change per deployment but not the output (tokens, ids): kept out of the key. */
  volatile: string[];
  log: (line: string) => void;
  /**
   * A folder laid over the clone before building (same relative paths): the tests add routes of
   * their own (an Edge route, a proxy) this way without putting them into the app users deploy.
   */
  overlay?: string;
}

export interface BuildResult {
  /** The staged checkout; filePathMap paths are relative to it. */
  root: string;
  outputDir: string;
  /** False when an identical earlier build was reused. */
  built: boolean;
  /** The deployment id the reused (or new) build was made for. */
  deploymentId: string;
  logFile: string;
}

interface Manifest {
  key: string;
  deploymentId: string;
}

/** Builds unless the same sources were already built with the same environment. */
export async function buildDeployment(request: BuildRequest): Promise<BuildResult> {
  const root = stagingDir(request.label ?? request.environment);
  const clone = (await gitFiles()).map((file) => ({ file, from: join(REPO_ROOT, file) }));
  const overlay = request.overlay
    ? (await filesUnder(request.overlay)).map((file) => ({
        file,
        from: join(request.overlay as string, file),
      }))
    : [];
  // In copy order: the overlay's files replace the clone's.
  const sources = [...clone, ...overlay];
  const hash = createHash("sha256");
  const byName = (a: { file: string }, b: { file: string }) => a.file.localeCompare(b.file);
  for (const { file, from } of [...clone.sort(byName), ...overlay.sort(byName)]) {
    hash.update(file).update("\0");
    hash.update(await readFile(from).catch(() => Buffer.alloc(0)));
  }
  const stable = Object.entries(request.env)
    .filter(([name]) => !request.volatile.includes(name))
    .sort(([a], [b]) => a.localeCompare(b));
  hash.update(JSON.stringify(stable));
  const key = hash.digest("hex");

  const manifestFile = join(root, ".vercel", "local-build.json");
  const logFile = join(root, ".vercel", "build.log");
  const previous = await readFile(manifestFile, "utf8")
    .then((text) => JSON.parse(text) as Manifest)
    .catch(() => undefined);
  const outputDir = join(root, ".vercel", "output");
  const deploymentId = request.env.VERCEL_DEPLOYMENT_ID ?? "";
  if (previous?.key === key) {
    return { root, outputDir, built: false, deploymentId: previous.deploymentId, logFile };
  }

  await mkdir(root, { recursive: true });
  // Keep node_modules (pnpm relinks them in a second) and the Corepack cache; the rest is new.
  for (const entry of await readdir(root)) {
    if (entry !== "node_modules" && entry !== ".vercel") {
      await rm(join(root, entry), { recursive: true, force: true });
    }
  }
  await rm(outputDir, { recursive: true, force: true });
  await rm(manifestFile, { force: true });
  for (const { file, from } of sources) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await copyFile(from, join(root, file)).catch((error: NodeJS.ErrnoException) => {
      // A file deleted but not yet staged in git is listed and gone: the clone would lack it too.
      if (error.code !== "ENOENT") throw error;
    });
  }
  await restoreBuildCache(root);
  await mkdir(join(root, ".vercel"), { recursive: true });
  await writeFile(
    join(root, ".vercel", "project.json"),
    `${JSON.stringify({ projectId: "prj_vercellocal", orgId: "team_vercellocal", settings: PROJECT_SETTINGS }, null, 2)}\n`,
  );

  request.log(`vercel build (${request.environment}) in ${root}`);
  const args = [VERCEL_BIN, "build", "--yes"];
  if (request.environment === "production") args.push("--prod");
  else args.push("--target", request.environment);
  const tail: string[] = [];
  const logStream = createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: request.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let pending = "";
  const onData = (chunk: Buffer) => {
    logStream.write(chunk);
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", (exitCode) => resolve(exitCode));
    child.once("error", () => resolve(null));
  });
  if (pending) tail.push(pending);
  await new Promise((resolve) => logStream.end(resolve));
  if (code !== 0) throw new BuildFailedError(logFile, tail);
  await saveBuildCache(root);
  await writeFile(manifestFile, JSON.stringify({ key, deploymentId } satisfies Manifest));
  return { root, outputDir, built: true, deploymentId, logFile };
}
