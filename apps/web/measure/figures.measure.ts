import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { test } from "@playwright/test";
import { type E2eEnvironment, startE2eEnvironment } from "../e2e/environment";
import { APP_DIR, E2E_DIST_DIR } from "../e2e/servers";

const REQUESTS = Number(process.env.MEASURE_REQUESTS ?? 1000);
const WARM_UP = 50;
// What only AWS SDK code contains.
const SDK_MARKERS =
  /@aws-sdk|@smithy|smithy-client|AssumeRoleWithWebIdentity|GetCallerIdentity|x-amz-/;

/**
 * The JavaScript a first visit to `url` downloads: the scripts and script preloads the HTML names,
 * minus `noModule` polyfills, which modern browsers skip.
 */
export async function firstLoadJs(
  url: string,
): Promise<{ files: number; bytes: number; gzip: number }> {
  const html = await (await fetch(url)).text();
  const tags = [...html.matchAll(/<(?:script|link)\b[^>]*>/g)].map((m) => m[0]);
  const paths = new Set(
    tags
      .filter((tag) => !/\bnoModule\b/i.test(tag))
      .filter((tag) => tag.startsWith("<script") || /\bas="script"/.test(tag))
      .map((tag) => /(?:src|href)="(\/_next\/static\/[^"]+\.js)"/.exec(tag)?.[1])
      .filter((path): path is string => path !== undefined),
  );
  let bytes = 0;
  let gzip = 0;
  for (const path of paths) {
    const body = Buffer.from(await (await fetch(new URL(path, url))).arrayBuffer());
    bytes += body.length;
    gzip += gzipSync(body).length;
  }
  return { files: paths.size, bytes, gzip };
}

async function sdkBytesInClientChunks(
  staticDir: string,
): Promise<{ bytes: number; files: string[] }> {
  const files: string[] = [];
  let bytes = 0;
  for (const entry of await readdir(staticDir, { recursive: true })) {
    const path = join(staticDir, entry);
    if (!path.endsWith(".js") || !(await stat(path)).isFile()) continue;
    if (SDK_MARKERS.test(await readFile(path, "utf8"))) {
      files.push(entry);
      bytes += (await stat(path)).size;
    }
  }
  return { bytes, files };
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

let environment: E2eEnvironment;
test.beforeAll(async () => {
  environment = await startE2eEnvironment(console.log);
});
test.afterAll(async () => environment?.stop());

// biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixtures argument to be destructured.
test("figures", async ({}, testInfo) => {
  const base = environment.production.url;
  const js = await firstLoadJs(base);
  const sdk = await sdkBytesInClientChunks(join(APP_DIR, E2E_DIST_DIR, "static"));

  const health = `${base}/api/health`;
  for (let i = 0; i < WARM_UP; i += 1) await (await fetch(health)).arrayBuffer();
  const before = environment.sandbox.stats();
  const timings: number[] = [];
  let failures = 0;
  for (let i = 0; i < REQUESTS; i += 1) {
    const started = performance.now();
    const response = await fetch(health);
    await response.arrayBuffer();
    timings.push(performance.now() - started);
    if (response.status !== 200) failures += 1;
  }
  const after = environment.sandbox.stats();
  const processExchanges = ((await (await fetch(health)).json()) as { exchanges?: number })
    .exchanges;
  timings.sort((a, b) => a - b);

  const figures = {
    firstLoadJs: js,
    awsSdkBytesInClientChunks: sdk,
    health: {
      requests: REQUESTS,
      failures,
      p50Ms: Number(percentile(timings, 50).toFixed(2)),
      p99Ms: Number(percentile(timings, 99).toFixed(2)),
      stsExchangesDuringRun: after.exchanges - before.exchanges,
      stsExchangesSinceStart: after.exchanges,
      processExchanges,
      getCallerIdentityCalls: after.stsOtherCalls - before.stsOtherCalls,
    },
  };
  console.log(JSON.stringify(figures, null, 2));
  await testInfo.attach("figures.json", {
    body: JSON.stringify(figures, null, 2),
    contentType: "application/json",
  });
});
