import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { answers, freePort, startUntil, timed } from "./lib/processes";

/**
 * P4 — what the browser downloads. Builds the web app (`pnpm --filter @repo/web build`), serves it
 * with `next start`, and sums every /_next/static script the HTML of `/` loads or preloads
 * (first-load JS, raw and gzip; the noModule polyfills modern browsers skip are left out). Then scans every client chunk in .next/static for code only the AWS SDK contains.
 */
export interface P4Result {
  buildSeconds: number;
  firstLoadJsFiles: number;
  firstLoadJsBytes: number;
  firstLoadJsGzipBytes: number;
  clientChunks: number;
  awsSdkBytesInClientChunks: number;
  awsSdkChunks: string[];
}

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WEB_DIR = join(REPO_ROOT, "apps/web");
// Strings only AWS SDK code carries.
const SDK_MARKERS =
  /@aws-sdk\/|@smithy\/|AssumeRoleWithWebIdentity|GetCallerIdentity|x-amz-security-token/;

export async function runP4(): Promise<P4Result> {
  const build = await timed("pnpm", ["--filter", "@repo/web", "build"], { cwd: REPO_ROOT });
  if (build.code !== 0) throw new Error(`the web build failed:\n${build.output.slice(-3000)}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = await startUntil(
    join(WEB_DIR, "node_modules/.bin/next"),
    ["start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: WEB_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production" },
    },
    () => answers(url),
  );
  const scripts = new Set<string>();
  let firstLoadJsBytes = 0;
  let firstLoadJsGzipBytes = 0;
  try {
    const html = await (await fetch(url)).text();
    // Script tags and script preloads; `noModule` polyfills are skipped by every modern browser.
    for (const [tag] of html.matchAll(/<(?:script|link)\b[^>]*>/gi)) {
      const src = /(?:src|href)="(\/_next\/static\/[^"]+\.js)"/.exec(tag)?.[1];
      if (src && !/\bnomodule\b/i.test(tag)) scripts.add(src);
    }
    for (const script of scripts) {
      const body = Buffer.from(await (await fetch(new URL(script, url))).arrayBuffer());
      firstLoadJsBytes += body.length;
      firstLoadJsGzipBytes += gzipSync(body).length;
    }
  } finally {
    await server.stop();
  }

  const staticDir = join(WEB_DIR, ".next/static");
  const awsSdkChunks: string[] = [];
  let awsSdkBytesInClientChunks = 0;
  let clientChunks = 0;
  for (const entry of await readdir(staticDir, { recursive: true })) {
    const path = join(staticDir, entry);
    if (!path.endsWith(".js") || !(await stat(path)).isFile()) continue;
    clientChunks++;
    if (SDK_MARKERS.test(await readFile(path, "utf8"))) {
      awsSdkChunks.push(entry);
      awsSdkBytesInClientChunks += (await stat(path)).size;
    }
  }
  return {
    buildSeconds: build.seconds,
    firstLoadJsFiles: scripts.size,
    firstLoadJsBytes,
    firstLoadJsGzipBytes,
    clientChunks,
    awsSdkBytesInClientChunks,
    awsSdkChunks,
  };
}
