// The Build Output API's `functions/` folder: which paths are functions, which are prerenders, and
// a self-contained directory per function made from its `.vc-config.json` `filePathMap` — the
// files Vercel would upload for it, nothing else, so a file missing from a trace fails here too.
import { copyFile, link, mkdir, readdir, readFile, realpath, rm, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

export interface VercelFunctionConfig {
  /** Node functions: the launcher. */
  handler: string;
  /** `edge` for Edge functions (then `entrypoint` names the module), else `nodejsNN.x`. */
  runtime: string;
  entrypoint?: string;
  /** The launcher takes a Web Request and returns a Response (Next's proxy/middleware). */
  useWebApi?: boolean;
  launcherType?: string;
  environment?: Record<string, string>;
  filePathMap?: Record<string, string>;
  maxDuration?: number;
}

export interface OutputFunction {
  /** The function's name as Vercel shows it, e.g. `api/health` (the real folder's path). */
  name: string;
  /** The real `.func` folder (symlinked paths share it: on Vercel they are one function). */
  sourceDir: string;
  config: VercelFunctionConfig;
}

export interface PrerenderConfig {
  fallback?: { fsPath: string } | null;
  initialHeaders?: Record<string, string>;
  initialStatus?: number;
}

export interface OutputIndex {
  /** URL path (`/api/health`, `/index`) → the function serving it. */
  functions: Map<string, OutputFunction>;
  /** URL path → a prerender's fallback file, headers and status. */
  prerenders: Map<string, { file?: string; headers: Record<string, string>; status: number }>;
}

async function walk(dir: string, visit: (path: string) => Promise<boolean>): Promise<void> {
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    if (await visit(path)) continue;
    if ((await stat(path)).isDirectory()) await walk(path, visit);
  }
}

export async function indexOutput(outputDir: string): Promise<OutputIndex> {
  const root = join(outputDir, "functions");
  const functions = new Map<string, OutputFunction>();
  const prerenders: OutputIndex["prerenders"] = new Map();
  const byRealDir = new Map<string, OutputFunction>();
  await walk(root, async (path) => {
    const rel = relative(root, path);
    if (path.endsWith(".func")) {
      const real = await realpath(path);
      let fn = byRealDir.get(real);
      if (!fn) {
        const config = JSON.parse(
          await readFile(join(real, ".vc-config.json"), "utf8"),
        ) as VercelFunctionConfig;
        fn = {
          name: relative(await realpath(root), real).replace(/\.func$/, ""),
          sourceDir: real,
          config,
        };
        byRealDir.set(real, fn);
      }
      functions.set(`/${rel.replace(/\.func$/, "")}`, fn);
      return true;
    }
    if (path.endsWith(".prerender-config.json")) {
      const config = JSON.parse(await readFile(path, "utf8")) as PrerenderConfig;
      prerenders.set(`/${rel.replace(/\.prerender-config\.json$/, "")}`, {
        file: config.fallback?.fsPath ? join(dirname(path), config.fallback.fsPath) : undefined,
        headers: config.initialHeaders ?? {},
        status: config.initialStatus ?? 200,
      });
    }
    return false;
  });
  return { functions, prerenders };
}

/** Hard links when the file system allows (instant, no space), copies otherwise. */
async function place(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "EXDEV" && code !== "EPERM") throw error;
    await copyFile(from, to);
  }
}

/**
 * Makes `target` hold exactly what Vercel would deploy for the function: the files inside its
 * `.func` folder plus every `filePathMap` entry (function path → path in the checkout).
 */
export async function materializeFunction(
  fn: OutputFunction,
  checkoutRoot: string,
  target: string,
): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await walk(fn.sourceDir, async (path) => {
    if ((await stat(path)).isDirectory()) return false;
    const rel = relative(fn.sourceDir, path);
    if (rel !== ".vc-config.json") await place(path, join(target, rel));
    return true;
  });
  for (const [inFunction, inCheckout] of Object.entries(fn.config.filePathMap ?? {})) {
    await place(join(checkoutRoot, inCheckout), join(target, inFunction));
  }
}

/** Bytes of the files a function deploys (its folder plus its traced files). */
export async function functionSize(fn: OutputFunction, checkoutRoot: string): Promise<number> {
  let total = 0;
  await walk(fn.sourceDir, async (path) => {
    const info = await stat(path);
    if (!info.isDirectory()) total += info.size;
    return !info.isDirectory();
  });
  for (const inCheckout of Object.values(fn.config.filePathMap ?? {})) {
    total += (await stat(join(checkoutRoot, inCheckout))).size;
  }
  return total;
}
