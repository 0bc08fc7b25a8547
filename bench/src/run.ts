// pnpm bench [--quick] [--only P1,P2,P3,P4,P5,P7,P8,LOAD]
// Runs the benchmarks side by side with their peers, prints a table and writes
// bench/results/latest.json. --quick is a short smoke (CI): smaller counts, a 10 s load run, and
// P5 without `pnpm test`.

import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BenchSandbox, productionRole, startBenchSandbox } from "./lib/sandbox";
import { STRATEGY_LABELS } from "./lib/strategies";
import { type LoadResult, runLoad } from "./load";
import { type P1Result, runP1 } from "./p1-exchanges";
import { type P2Result, runP2 } from "./p2-overhead";
import { type P3Result, runP3 } from "./p3-refresh";
import { type P4Result, runP4 } from "./p4-bundles";
import { type P5Result, runP5 } from "./p5-devloop";
import { runP7 } from "./p7-harness";
import { FLEET_LABELS, type FleetRun, type P8Result, runP8 } from "./p8-fleet";
import { fixed, formatTable, type Row } from "./report";

const BENCHES = ["P1", "P2", "P3", "P4", "P5", "P7", "P8", "LOAD"] as const;
type Bench = (typeof BENCHES)[number];

function parse(): { quick: boolean; only: Bench[] } {
  const { values } = parseArgs({
    options: { quick: { type: "boolean" }, only: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log("usage: pnpm bench [--quick] [--only P1,P2,P3,P4,P5,P7,P8,LOAD]");
    process.exit(0);
  }
  const only = (values.only ?? BENCHES.join(","))
    .split(",")
    .map((name) => name.trim().toUpperCase());
  const unknown = only.filter((name) => !BENCHES.includes(name as Bench));
  if (unknown.length) {
    console.error(
      `--only: unknown benchmark ${unknown.join(", ")}; choose from ${BENCHES.join(", ")}`,
    );
    process.exit(2);
  }
  return { quick: values.quick ?? false, only: only as Bench[] };
}

function p1Rows(result: P1Result): Row[] {
  const ours = result.strategies.find((s) => s.id === "ours");
  const peers = result.strategies.filter((s) => s.id !== "ours");
  const label = `P1 STS exchanges (${result.sequential} seq + ${result.concurrent} conc, ${result.simulatedHours} h, 1 h creds)`;
  return result.strategies.map((s) => ({
    bench: label,
    metric: STRATEGY_LABELS[s.id],
    value: `${s.exchanges}${s.failures ? ` (${s.failures} failed calls)` : ""}${s.id === "ours" ? "" : `  ×${fixed(s.exchanges / (ours?.exchanges ?? 1))} ours`}`,
    ...(s.id === "ours"
      ? {
          goal: `= lifetimes (${result.lifetimes}) ≤ 4, < every peer`,
          met:
            s.exchanges === result.lifetimes &&
            s.exchanges <= 4 &&
            s.failures === 0 &&
            peers.every((peer) => s.exchanges < peer.exchanges),
        }
      : {}),
  }));
}

function p2Rows(r: P2Result): Row[] {
  const bench = "P2 steady-state overhead";
  return [
    {
      bench,
      metric: `credential resolution, ours (${r.resolutionCalls} calls) p50 / p99`,
      value: `${fixed(r.resolutionP50Us, 2)} / ${fixed(r.resolutionP99Us, 2)} µs`,
      goal: "p99 ≤ 50 µs",
      met: r.resolutionP99Us <= 50,
    },
    {
      bench,
      metric: "credential resolution, static keys p50 / p99",
      value: `${fixed(r.staticResolutionP50Us, 2)} / ${fixed(r.staticResolutionP99Us, 2)} µs`,
    },
    {
      bench,
      metric: `S3 ListObjectsV2 on moto (${r.listCalls} calls) ours / static p50`,
      value: `${fixed(r.listOursP50Ms, 2)} / ${fixed(r.listStaticP50Ms, 2)} ms = ${fixed(r.listRatioP50, 3)}`,
      goal: "ratio ≤ 1.05",
      met: r.listRatioP50 <= 1.05,
    },
    {
      bench,
      metric: "S3 ListObjectsV2 ours / static mean",
      value: `${fixed(r.listOursMeanMs, 2)} / ${fixed(r.listStaticMeanMs, 2)} ms = ${fixed(r.listRatioMean, 3)}`,
    },
  ];
}

function p3Rows(r: P3Result): Row[] {
  return r.strategies.map((s) => ({
    bench: `P3 requests that waited on a refresh (${r.requests} in the window, STS +${r.injectedDelayMs / 1000} s)`,
    metric: STRATEGY_LABELS[s.id],
    value: `${s.waited}/${r.requests} (p50 ${fixed(s.p50Ms, 0)} ms, max ${fixed(s.maxMs, 0)} ms${s.failures ? `, ${s.failures} failed` : ""})`,
    ...(s.id === "ours" ? { goal: "0", met: s.waited === 0 && s.failures === 0 } : {}),
  }));
}

function p4Rows(r: P4Result): Row[] {
  const bench = "P4 bundles (apps/web, next build)";
  return [
    {
      bench,
      metric: `first-load JS of / (${r.firstLoadJsFiles} files)`,
      value: `${fixed(r.firstLoadJsBytes / 1024)} kB (${fixed(r.firstLoadJsGzipBytes / 1024)} kB gzip)`,
    },
    {
      bench,
      metric: `AWS SDK bytes in client chunks (${r.clientChunks} chunks)`,
      value: `${r.awsSdkBytesInClientChunks}${r.awsSdkChunks.length ? ` in ${r.awsSdkChunks.join(", ")}` : ""}`,
      goal: "0",
      met: r.awsSdkBytesInClientChunks === 0,
    },
    { bench, metric: "pnpm --filter @repo/web build", value: `${fixed(r.buildSeconds)} s` },
  ];
}

function p5Rows(r: P5Result): Row[] {
  const bench = "P5 developer loop (fresh clone of HEAD)";
  return [
    {
      bench,
      metric: "cold pnpm install --frozen-lockfile --prefer-offline",
      value: `${fixed(r.installSeconds)} s`,
    },
    { bench, metric: "pnpm build", value: `${fixed(r.buildSeconds)} s` },
    {
      bench,
      metric: "pnpm build again (cached)",
      value: `${fixed(r.cachedBuildSeconds, 2)} s${r.cachedBuildFullTurbo ? " FULL TURBO" : " (not FULL TURBO)"}`,
      goal: "≤ 2 s, FULL TURBO",
      met: r.cachedBuildSeconds <= 2 && r.cachedBuildFullTurbo,
    },
    ...(r.testSeconds === undefined
      ? []
      : [
          {
            bench,
            metric: "pnpm test (lint, typecheck, unit, emulator, e2e)",
            value: `${fixed(r.testSeconds)} s (exit ${r.testExitCode}${r.testFailure ? "; output in latest.json P5.testFailure" : ""})`,
            goal: "≤ 120 s, exit 0",
            met: r.testSeconds <= 120 && r.testExitCode === 0,
          },
        ]),
    ...(r.testWithoutLint === undefined
      ? []
      : [
          {
            bench,
            metric: "  the rest of pnpm test (turbo run typecheck test e2e), after Biome failed",
            value: `${fixed(r.testWithoutLint.seconds)} s (exit ${r.testWithoutLint.exitCode})`,
            goal: "≤ 120 s, exit 0",
            met: r.testWithoutLint.seconds <= 120 && r.testWithoutLint.exitCode === 0,
          },
        ]),
    ...(r.slowestTestTasks
      ? [
          {
            bench,
            metric: "  slowest test tasks",
            value: Object.entries(r.slowestTestTasks)
              .slice(0, 4)
              .map(([task, seconds]) => `${task} ${seconds} s`)
              .join(", "),
          },
        ]
      : []),
    { bench, metric: "pnpm sandbox until ready", value: `${fixed(r.sandboxReadySeconds)} s` },
    { bench, metric: "next dev until / answers", value: `${fixed(r.nextDevFirstPageSeconds)} s` },
  ];
}

function p8Rows(r: P8Result): Row[] {
  const o = r.options;
  const quota = `${o.quotaPerSecond} STS calls/s quota`;
  const titles: Record<FleetRun["scenario"], string> = {
    storm: `P8 fleet, deploy storm: N instances start within ${o.stormSeconds} s, a request each every ${o.requestEveryMs / 1000} s; ${quota} (simulated clock)`,
    refresh: `P8 fleet, an hour on: the storm's credentials come due together; ${quota} (simulated clock)`,
  };
  return r.runs.map((run) => {
    const throttledFrom =
      run.scenario === "storm" && run.throttledCalls > 0
        ? `; first throttle after ${run.startedBeforeFirstThrottle} starts`
        : "";
    const goal =
      run.scenario === "storm" && run.strategy === "ours" && run.instances === 1_000
        ? { goal: "0 failed", met: run.failedRequests === 0 }
        : {};
    return {
      bench: titles[run.scenario],
      metric: `N=${run.instances.toLocaleString("en-US")} ${FLEET_LABELS[run.strategy]}`,
      value: `peak ${run.peakCallsPerSecond}/s, ${run.stsCalls} calls, ${run.throttledCalls} throttled; ${run.failedRequests}/${run.requests} failed, ${run.slowRequests} waited > 1 s (max ${fixed(run.maxWaitMs / 1000, 2)} s)${throttledFrom}`,
      ...goal,
    };
  });
}

function loadRows(r: LoadResult): Row[] {
  const bench = `LOAD ${r.rate} req/s × ${r.seconds} s, ${r.lifetimeSeconds} s credentials (ours)`;
  return [
    {
      bench,
      metric: "failed requests",
      value: `${r.failures}/${r.requests}${r.firstFailure ? ` (first: ${r.firstFailure})` : ""}`,
      goal: "0",
      met: r.failures === 0,
    },
    {
      bench,
      metric: "STS exchanges / credential lifetimes used",
      value: `${r.exchanges} / ${r.lifetimes}`,
      goal: "≈ lifetimes",
      met: r.exchanges >= r.lifetimes && r.exchanges <= r.lifetimes + 1,
    },
    {
      bench,
      metric: "signed with expired credentials / arrived after expiry (queueing)",
      value: `${r.signedExpired} / ${r.lateArrivals}`,
    },
    {
      bench,
      metric: "achieved rate, latency p50 / p99",
      value: `${fixed(r.achievedRate)} req/s, ${fixed(r.p50Ms)} / ${fixed(r.p99Ms)} ms`,
    },
  ];
}

async function main() {
  const { quick, only } = parse();
  const results: Record<string, unknown> = {};
  const ratios: Record<string, Record<string, number>> = {};
  const rows: Row[] = [];
  const errors: Record<string, string> = {};
  const startedAt = new Date().toISOString();
  const step = async (name: Bench, run: () => Promise<Row[]>) => {
    if (!only.includes(name)) return;
    console.error(`… ${name}`);
    const started = performance.now();
    try {
      rows.push(...(await run()));
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      rows.push({
        bench: name,
        metric: "error",
        value: errors[name].split("\n")[0] ?? "",
        met: false,
      });
    }
    console.error(`  ${name} took ${fixed((performance.now() - started) / 1000)} s`);
  };

  await step("P1", async () => {
    const result = await runP1({ quick });
    results.P1 = result;
    const ours = result.strategies.find((s) => s.id === "ours")?.exchanges ?? 1;
    ratios.P1_exchanges_peer_over_ours = Object.fromEntries(
      result.strategies.filter((s) => s.id !== "ours").map((s) => [s.id, s.exchanges / ours]),
    );
    return p1Rows(result);
  });

  let sandbox: BenchSandbox | undefined;
  const needsSandbox = only.some((name) => name === "P2" || name === "P3" || name === "LOAD");
  try {
    if (needsSandbox) {
      sandbox = await startBenchSandbox();
      results.sandboxReadySeconds = sandbox.readyMs / 1000;
    }
    const box = sandbox as BenchSandbox;
    await step("P2", async () => {
      const result = await runP2(box, { quick });
      results.P2 = result;
      ratios.P2_list_ours_over_static = { p50: result.listRatioP50, mean: result.listRatioMean };
      return p2Rows(result);
    });
    await step("P3", async () => {
      const result = await runP3(box, { quick });
      results.P3 = result;
      ratios.P3_waited = Object.fromEntries(result.strategies.map((s) => [s.id, s.waited]));
      return p3Rows(result);
    });
    await step("LOAD", async () => {
      const result = await runLoad(
        {
          endpoint: box.endpoint,
          region: box.region,
          roleArn: productionRole(box),
          token: await box.mintToken({ lifetimeSeconds: 3600 }),
        },
        { rate: 200, seconds: quick ? 10 : 60, lifetimeSeconds: quick ? 4 : 60 },
      );
      results.LOAD = result;
      return loadRows(result);
    });
  } finally {
    await sandbox?.dispose();
  }

  await step("P7", runP7);
  await step("P8", async () => {
    const result = await runP8(quick ? { instances: [10, 100, 1_000] } : {});
    results.P8 = result;
    return p8Rows(result);
  });

  await step("P4", async () => {
    const result = await runP4();
    results.P4 = result;
    return p4Rows(result);
  });
  await step("P5", async () => {
    const result = await runP5({ quick });
    results.P5 = result;
    return p5Rows(result);
  });

  const machine = {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model,
    loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))),
    node: process.version,
  };
  const table = formatTable(rows);
  console.log(
    `\nKeyless bench${quick ? " (quick)" : ""} — ${machine.nproc} cores (nproc), load ${machine.loadAverageAtEnd.join(" ")}, Node ${machine.node}\n`,
  );
  console.log(table);
  const file = fileURLToPath(new URL("../results/latest.json", import.meta.url));
  await mkdir(fileURLToPath(new URL("../results/", import.meta.url)), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ startedAt, quick, machine, results, ratios, rows, errors }, null, 2)}\n`,
  );
  console.log(`\nwritten: bench/results/latest.json`);
  process.exitCode = Object.keys(errors).length ? 1 : 0;
}

await main();
