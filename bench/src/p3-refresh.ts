import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { settle } from "./lib/calls";
import { installSimulatedClock } from "./lib/clock";
import { startLifetimeProxy } from "./lib/fake-aws";
import { type BenchSandbox, productionRole } from "./lib/sandbox";
import { ALL_STRATEGIES, makeStrategy, type Strategy } from "./lib/strategies";

/**
 * P3 — does anyone wait while credentials are refreshed?
 * Each strategy gets credentials from the sandbox (real exchange, 1 h session). Then the process
 * clock jumps 56 minutes ahead (SDK caches and our provider both read it), which puts the
 * credentials 4 minutes from expiry: inside everyone's 5-minute refresh window, still valid.
 * moto dates sessions by the real clock, so a proxy re-dates each issued session to one hour on
 * the simulated clock (otherwise the refreshed session would look 4 minutes from expiry too).
 * The sandbox gateway now answers every STS call 2 s late, and the app makes S3 ListObjectsV2
 * calls at a steady rate during the first second. A call that took at least half the injected
 * delay waited on the refresh.
 */
export interface P3Result {
  injectedDelayMs: number;
  requests: number;
  strategies: {
    id: Strategy["id"];
    label: string;
    waited: number;
    failures: number;
    exchanges: number;
    p50Ms: number;
    maxMs: number;
  }[];
}

const MINUTE = 60_000;

export async function runP3(sandbox: BenchSandbox, options: { quick: boolean }): Promise<P3Result> {
  const injectedDelayMs = 2_000;
  const requests = options.quick ? 10 : 20;
  // All requests start within the first half of the injected delay: one that waited on the
  // refresh waits at least half the delay, one that did not takes a normal few milliseconds.
  const intervalMs = injectedDelayMs / 2 / requests;
  const token = await sandbox.mintToken({ environment: "production", lifetimeSeconds: 12 * 3600 });
  const strategies: P3Result["strategies"] = [];

  for (const id of ALL_STRATEGIES) {
    const clock = installSimulatedClock();
    const sts = await startLifetimeProxy({
      target: sandbox.endpoint,
      lifetimeMs: 60 * MINUTE,
      clock,
    });
    const strategy = makeStrategy(id, {
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      stsEndpoint: sts.endpoint,
      roleArn: productionRole(sandbox),
      token,
    });
    const list = () =>
      strategy.clients().s3.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
    const latencies: number[] = [];
    let failures = 0;
    let exchanges = 0;
    try {
      await list(); // credentials for the next hour
      clock.advance(56 * MINUTE);
      sandbox.resetStats();
      sandbox.faults.inject({ kind: "delay", delayMs: injectedDelayMs });
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < requests; i++) {
        const started = performance.now();
        inFlight.push(
          settle(list()).then((result) => {
            latencies.push(performance.now() - started);
            if (!result.ok) failures++;
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      await Promise.all(inFlight);
      exchanges = sandbox.stats().exchanges;
    } finally {
      sandbox.faults.clear();
      strategy.close();
      clock.restore();
      await sts.close();
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    strategies.push({
      id,
      label: strategy.label,
      waited: latencies.filter((ms) => ms >= injectedDelayMs / 2).length,
      failures,
      exchanges,
      p50Ms: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      maxMs: sorted.at(-1) ?? Number.NaN,
    });
  }
  return { injectedDelayMs, requests, strategies };
}
