// pnpm --filter @repo/vercel-local bench:p7 [--json] [--rounds N]
// P7 (issue #25): the app's /api/health beside a bare route calling S3 with static keys
// (p7-app/), both built by one real `vercel build` and served the way Vercel runs them, on a
// sandbox of its own: the first and second request of each, and what each function deploys.
//
// A function's first request here is this harness's cold start — a Node process spawned, the
// launcher and the route's modules loaded, then the route's AWS calls — not Vercel's (no
// Firecracker VM, no code download, no Lambda init phase): compare the two routes with each other,
// never with a figure from Vercel.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { STS_CHECK_INTERVAL_MS } from "@repo/web/limits";
import { BuildFailedError, PROJECT_SETTINGS } from "./build";
import {
  type Built,
  buildForSandbox,
  PROJECT,
  type RunningDeployment,
  serveBuild,
} from "./deployment";
import { indexOutput, type OutputFunction, type OutputIndex } from "./functions";
import {
  byOrigin,
  dependencyClosure,
  duplicates,
  type FunctionContents,
  functionContents,
  type Piece,
  repeatedChunks,
  routeFiles,
} from "./p7-contents";
import {
  corepackMissingLine,
  MotoUnavailableError,
  REPO_ROOT,
  type SandboxAccess,
  SandboxConfigError,
  startOwnSandbox,
} from "./sandbox";

const USAGE = "usage: pnpm --filter @repo/vercel-local bench:p7 [--json] [--rounds N]";
const BENCH = "P7 cold start (Vercel path, local launcher)";
const WORKSPACE = fileURLToPath(new URL("..", import.meta.url));
const OVERLAY = join(WORKSPACE, "p7-app");
const REPORT_DIR = join(WORKSPACE, ".reports");
const HEALTH = "/api/health";
const BARE = "/api/bare-s3";
const AWS_AUTH = "@repo/aws-auth";
const REQUEST_TIMEOUT_MS = 30_000;
const SANDBOX_TIMEOUT_MS = 180_000;

/** One line of the table, shaped like `pnpm bench`'s rows. */
interface Row {
  bench: string;
  metric: string;
  value: string;
  goal?: string;
  met?: boolean;
}

class UsageError extends Error {}

function options(): { json: boolean; rounds: number } | undefined {
  let values: { json?: boolean; rounds?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== "--"),
      options: {
        json: { type: "boolean" },
        rounds: { type: "string", default: "5" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return undefined;
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
    throw new UsageError(`--rounds takes a whole number from 1 to 50, got "${values.rounds}"`);
  }
  return { json: values.json ?? false, rounds };
}

/** Rejects after `ms`, naming the step; stopping the step itself is the caller's cleanup. */
function within<T>(ms: number, what: string, step: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([step, timeout]).finally(() => clearTimeout(timer));
}

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(undefined));
    probe.listen(port, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : port));
    });
  });
}

async function freePort(): Promise<number> {
  const port = await listenOn(0);
  if (!port) throw new Error("no free port on 127.0.0.1");
  return port;
}

/**
 * The build bakes the sandbox's endpoint into the project's variables (and the CSP), so a gateway
 * port that stays the same from run to run lets the next run reuse the build: one per checkout,
 * apart from `pnpm vercel:local`'s 41xxx. Taken: any free port, at the cost of a build.
 */
async function gatewayPort(): Promise<number> {
  const stable = 42_000 + (createHash("sha256").update(REPO_ROOT).digest()[0] ?? 0);
  return (await listenOn(stable)) ? stable : 0;
}

interface Sample {
  ms: number;
  status: number;
  body: string;
}

async function timedGet(url: string): Promise<Sample> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = await response.text();
    return { ms: performance.now() - started, status: response.status, body };
  } catch (error) {
    const reason =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
        : (error as Error).message;
    throw new Error(`GET ${new URL(url).pathname}: ${reason}`);
  }
}

/** Both routes must answer 200 `{ ok: true }`: a fast failure is no cold start. */
function expectOk(path: string, sample: Sample): void {
  let ok = false;
  try {
    ok = (JSON.parse(sample.body) as { ok?: unknown }).ok === true;
  } catch {}
  if (sample.status !== 200 || !ok) {
    throw new Error(`GET ${path} answered ${sample.status}: ${sample.body.slice(0, 400)}`);
  }
}

interface Timings {
  health: { first: number[]; second: number[] };
  bare: { first: number[]; second: number[] };
}

/**
 * One round: a new deployment of the same build (new function hosts, no function started yet),
 * each route asked twice. The order alternates between rounds so neither always goes first.
 */
async function measureRound(
  deployment: RunningDeployment,
  bucket: string,
  round: number,
  timings: Timings,
): Promise<void> {
  const routes = [
    { key: "health" as const, path: HEALTH },
    { key: "bare" as const, path: `${BARE}?bucket=${encodeURIComponent(bucket)}` },
  ];
  if (round % 2 === 1) routes.reverse();
  for (const { key, path } of routes) {
    for (const which of ["first", "second"] as const) {
      const sample = await timedGet(`${deployment.url}${path}`);
      expectOk(path, sample);
      timings[key][which].push(sample.ms);
    }
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const ms = (value: number) => `${value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
const spread = (values: number[]) =>
  `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
// Decimal units, as Vercel states its function size limit (250 MB).
const size = (bytes: number) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
const total = (pieces: Piece[]) => pieces.reduce((sum, piece) => sum + piece.bytes, 0);
const filesOf = (pieces: Piece[]) => new Set(pieces.map((piece) => piece.file)).size;

function sizeSummary(contents: FunctionContents) {
  const { pieces: _pieces, ...summary } = contents;
  return { ...summary, totalBytes: contents.folderBytes + contents.tracedBytes };
}

/** The pieces of a function's traced files that one of its routes needs (see routeFiles). */
function routePieces(contents: FunctionContents, files: Set<string>): Piece[] {
  return contents.pieces.filter((piece) => piece.inCheckout && files.has(piece.inCheckout));
}

function formatTable(rows: Row[]): string {
  const cells = [
    ["bench", "metric", "value", "goal", "met"],
    ...rows.map((row) => [
      row.bench,
      row.metric,
      row.value,
      row.goal ?? "",
      row.met === undefined ? "" : row.met ? "yes" : "NO",
    ]),
  ];
  const widths = (cells[0] ?? []).map((_, column) =>
    Math.max(...cells.map((line) => (line[column] ?? "").length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, column) => value.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}

/**
 * What each function deploys, and what the health route needs that the bare one does not: by
 * route (Next's trace of each), since Vercel groups /api/health with /api/download and
 * /api/upload into one function whose size is theirs too.
 */
async function contentsOf(
  built: Built,
  index: OutputIndex,
  healthFn: OutputFunction,
  bareFn: OutputFunction,
) {
  const routesOf = (fn: OutputFunction) =>
    [...index.functions]
      .filter(([path, other]) => other.sourceDir === fn.sourceDir && !path.endsWith(".rsc"))
      .map(([path]) => path);
  const [health, bare] = await Promise.all([
    functionContents(healthFn, routesOf(healthFn), built.root),
    functionContents(bareFn, routesOf(bareFn), built.root),
  ]);
  const bareFiles = await routeFiles(built.root, BARE);
  const healthRoute = routePieces(health, await routeFiles(built.root, HEALTH));
  const bareRoute = routePieces(bare, bareFiles);
  const extra = healthRoute.filter((piece) => !bareFiles.has(piece.inCheckout ?? ""));
  // Packages the app reaches only through aws-auth, and those it also imports itself (zod,
  // @aws-sdk/client-sts): without aws-auth the first kind would go, the second would stay.
  const awsAuthDeps = await dependencyClosure(join(built.root, "packages", "aws-auth"));
  const appDeps = await dependencyClosure(join(built.root, PROJECT_SETTINGS.rootDirectory), [
    AWS_AUTH,
  ]);
  const fromAwsAuth = extra.filter(
    (piece) => piece.origin === AWS_AUTH || awsAuthDeps.has(piece.origin),
  );
  const onlyAwsAuth = fromAwsAuth.filter((piece) => !appDeps.has(piece.origin));
  const via = (origin: string) => {
    if (origin === AWS_AUTH) return "aws-auth itself";
    if (awsAuthDeps.has(origin))
      return appDeps.has(origin) ? "aws-auth's and the app's" : "aws-auth's";
    return appDeps.has(origin) ? "the app's" : "";
  };
  return {
    health,
    bare,
    healthRoute,
    bareRoute,
    extra,
    fromAwsAuth,
    onlyAwsAuth,
    extraByOrigin: byOrigin(extra).map((entry) => ({ ...entry, via: via(entry.origin) })),
    duplicates: duplicates(health.pieces),
    repeated: await repeatedChunks(health, built.root),
  };
}

async function main(): Promise<number> {
  const chosen = options();
  if (!chosen) {
    console.log(USAGE);
    return 0;
  }
  // Progress on stderr: with --json, stdout holds the rows and nothing else.
  const say = (line: string) => console.error(`p7: ${line}`);
  const corepack = corepackMissingLine();
  if (corepack) {
    console.error(`p7: ${corepack}`);
    return 1;
  }
  await mkdir(REPORT_DIR, { recursive: true });
  const logFile = join(REPORT_DIR, "p7.log");
  const logStream = createWriteStream(logFile);
  const log = (line: string) => logStream.write(`${line}\n`);

  let sandboxStart: Promise<SandboxAccess> | undefined;
  let deployment: RunningDeployment | undefined;
  let built: Built | undefined;
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-p7-"));
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      await deployment?.stop().catch(() => {});
      // A sandbox still starting is stopped once it is up (its own steps are bounded).
      const sandbox = await sandboxStart?.catch(() => undefined);
      await sandbox?.stop().catch(() => {});
      await rm(stateDir, { recursive: true, force: true });
      // Each round's materialized functions (hard links into the build); the label is P7's own.
      if (built) await rm(join(built.root, ".vercel", "local"), { recursive: true, force: true });
      await new Promise((resolve) => logStream.end(resolve));
    })();
    return cleaning;
  };
  // Set on Ctrl-C / SIGTERM: the step cut short then fails, and says nothing more.
  let interrupted: number | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping…`);
      interrupted = signal === "SIGINT" ? 130 : 143;
      void cleanup().then(() => process.exit(interrupted));
    });
  }

  try {
    say("starting a sandbox of its own (moto, issuer, gateway)…");
    sandboxStart = startOwnSandbox({
      stateDir,
      // The project the harness's deployments are (acme/web, production only), set here so a
      // developer's .env cannot change what is measured.
      env: {
        VERCEL_TEAM_SLUG: PROJECT.team,
        VERCEL_PROJECT_NAME: PROJECT.name,
        AWS_REGION: "us-east-1",
      },
      ports: { gateway: await gatewayPort() },
      log: (line) => log(`[sandbox] ${line}`),
    });
    const sandbox = await within(SANDBOX_TIMEOUT_MS, "starting the sandbox", sandboxStart);

    say("vercel build of the app plus p7-app/ (reused when nothing changed)…");
    const buildStarted = performance.now();
    built = await buildForSandbox(sandbox, {
      environment: "production",
      label: "p7",
      host: "127.0.0.1",
      overlay: OVERLAY,
      log,
    });
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    say(built.built ? `built in ${buildSeconds.toFixed(0)} s` : "sources unchanged: build reused");

    const index = await indexOutput(built.outputDir);
    const healthFn = index.functions.get(HEALTH);
    const bareFn = index.functions.get(BARE);
    if (!healthFn || !bareFn)
      throw new Error(`the build has no function for ${healthFn ? BARE : HEALTH}`);
    if (healthFn.sourceDir === bareFn.sourceDir) {
      throw new Error(
        `${BARE} shares the function ${healthFn.name} with ${HEALTH}, so one cold start would serve both (has its maxDuration gone?)`,
      );
    }
    const contents = await contentsOf(built, index, healthFn, bareFn);

    const timings: Timings = { health: { first: [], second: [] }, bare: { first: [], second: [] } };
    for (let round = 0; round < chosen.rounds; round++) {
      say(`round ${round + 1}/${chosen.rounds}: a new deployment, each route asked twice`);
      const port = await freePort();
      deployment = await serveBuild(sandbox, built, {
        environment: "production",
        host: `127.0.0.1:${port}`,
        port,
        log,
      });
      await measureRound(deployment, sandbox.bucket, round, timings);
      await deployment.stop();
      deployment = undefined;
    }

    const medians = {
      healthFirst: median(timings.health.first),
      bareFirst: median(timings.bare.first),
      healthSecond: median(timings.health.second),
      bareSecond: median(timings.bare.second),
    };
    const { health, bare } = contents;
    const bench = `${BENCH}, ${chosen.rounds} round${chosen.rounds === 1 ? "" : "s"}`;
    const ownSource = total(contents.fromAwsAuth.filter((piece) => piece.origin === AWS_AUTH));
    const rows: Row[] = [
      {
        bench,
        metric: `${HEALTH} 1st request: spawn + module load + STS exchange + GetCallerIdentity; median (min–max)`,
        value: spread(timings.health.first),
      },
      {
        bench,
        metric: `${BARE} 1st request: spawn + module load + 1 ListObjectsV2 (static keys); median (min–max)`,
        value: spread(timings.bare.first),
      },
      {
        bench,
        metric: `${HEALTH} 2nd request (identity remembered for ${STS_CHECK_INTERVAL_MS / 1000} s: no AWS call)`,
        value: spread(timings.health.second),
      },
      {
        bench,
        metric: `${BARE} 2nd request (1 ListObjectsV2)`,
        value: spread(timings.bare.second),
      },
      {
        bench,
        metric: "1st request, health ÷ bare (medians)",
        value: `×${(medians.healthFirst / medians.bareFirst).toFixed(2)}`,
      },
      {
        bench,
        metric: "2nd request, health ÷ bare (medians)",
        value: `×${(medians.healthSecond / medians.bareSecond).toFixed(2)}`,
      },
      ...[health, bare].map((fn) => ({
        bench,
        metric: `function ${fn.name} (${fn.routes.join(", ")}): .func folder + traced files`,
        value: `${size(fn.folderBytes + fn.tracedBytes)} = ${size(fn.folderBytes)} (${fn.folderFiles} files) + ${size(fn.tracedBytes)} (${fn.tracedFiles} files, ${fn.tracedLinks} links)`,
      })),
      {
        bench,
        metric: `${HEALTH}'s own trace (route.js + its .nft.json) vs ${BARE}'s`,
        value: `${size(total(contents.healthRoute))} (${filesOf(contents.healthRoute)} files) vs ${size(total(contents.bareRoute))} (${filesOf(contents.bareRoute)} files)`,
      },
      {
        bench,
        metric: `in ${HEALTH}'s trace, not in ${BARE}'s`,
        value: `${size(total(contents.extra))} in ${filesOf(contents.extra)} files`,
      },
      {
        bench,
        metric: `  of which ${AWS_AUTH} and its dependencies (own source ${size(ownSource)})`,
        value: `${size(total(contents.fromAwsAuth))} in ${filesOf(contents.fromAwsAuth)} files`,
      },
      {
        bench,
        metric: "  of which packages the app reaches only through aws-auth",
        value: `${size(total(contents.onlyAwsAuth))} in ${filesOf(contents.onlyAwsAuth)} files`,
      },
      ...contents.extraByOrigin.slice(0, 10).map((entry) => ({
        bench,
        metric: `    ${entry.origin}${entry.versions.length ? `@${entry.versions.join(" + @")}` : ""}${entry.via ? ` (${entry.via})` : ""}`,
        value: `${size(entry.bytes)}${entry.bundledBytes === entry.bytes ? ", bundled" : entry.bundledBytes ? `, ${size(entry.bundledBytes)} bundled` : ""}`,
      })),
      {
        bench,
        metric: `in ${health.name}: chunks repeated under other names (one set per grouped route)`,
        value: `${size(contents.repeated.bytes)} in ${contents.repeated.copies} files`,
      },
      ...contents.duplicates.slice(0, 4).map((entry) => ({
        bench,
        metric: `twice in ${health.name}: ${entry.origin}@${entry.versions.join(" + @")}`,
        value: `${size(entry.bytes)}${entry.bundledBytes < entry.bytes ? ` (${size(entry.bundledBytes)} bundled, ${size(entry.bytes - entry.bundledBytes)} node_modules)` : ""}`,
      })),
    ];

    const report = {
      bench: BENCH,
      at: new Date().toISOString(),
      note: "1st request = the local launcher's process spawn + module load + the route's first AWS calls, measured at the client; not Vercel's cold start. Sizes in bytes.",
      machine: { cores: availableParallelism(), loadavg: loadavg(), node: process.version },
      build: { reused: !built.built, seconds: buildSeconds, root: built.root },
      rounds: chosen.rounds,
      timingsMs: timings,
      mediansMs: medians,
      ratios: {
        first: medians.healthFirst / medians.bareFirst,
        second: medians.healthSecond / medians.bareSecond,
      },
      functions: { health: sizeSummary(health), bare: sizeSummary(bare) },
      routes: {
        health: { bytes: total(contents.healthRoute), files: filesOf(contents.healthRoute) },
        bare: { bytes: total(contents.bareRoute), files: filesOf(contents.bareRoute) },
      },
      healthOnly: {
        bytes: total(contents.extra),
        files: filesOf(contents.extra),
        byOrigin: contents.extraByOrigin,
      },
      awsAuth: {
        bytes: total(contents.fromAwsAuth),
        files: filesOf(contents.fromAwsAuth),
        ownSourceBytes: ownSource,
        onlyThroughAwsAuth: {
          bytes: total(contents.onlyAwsAuth),
          files: filesOf(contents.onlyAwsAuth),
        },
      },
      duplicatesInHealthFunction: contents.duplicates,
      repeatedChunksInHealthFunction: contents.repeated,
      rows,
    };
    await writeFile(join(REPORT_DIR, "p7.json"), `${JSON.stringify(report, null, 2)}\n`);
    if (chosen.json) console.log(JSON.stringify(rows, null, 2));
    else {
      console.log(formatTable(rows));
      console.log(`\nraw figures: ${join(REPORT_DIR, "p7.json")}`);
    }
    return 0;
  } catch (error) {
    if (interrupted) return interrupted;
    if (error instanceof BuildFailedError) {
      console.error(error.logTail.join("\n"));
      console.error(`p7: ${error.message}`);
    } else if (error instanceof MotoUnavailableError || error instanceof SandboxConfigError) {
      console.error(`p7: ${error.message}`);
    } else {
      console.error(`p7: ${(error as Error).message} (harness log: ${logFile})`);
    }
    return 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
