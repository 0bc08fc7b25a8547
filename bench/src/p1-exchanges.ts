import { appCall, settle } from "./lib/calls";
import { installSimulatedClock } from "./lib/clock";
import { CredentialLedger, startFakeAws } from "./lib/fake-aws";
import { ALL_STRATEGIES, makeStrategy, type Strategy } from "./lib/strategies";
import { mintBenchToken } from "./lib/token";

/**
 * P1 — STS exchanges over a simulated 3 hours with 1-hour credentials.
 *
 * How the clock is simulated honestly: every party reads one clock. The process's `Date` is
 * replaced by a clock that we move forward by (3 h ÷ sequential calls) before each sequential
 * call, so the AWS SDK's own caches (which compare `expiration` with `Date.now()`) and our provider
 * see the same simulated hours. STS is a local double that issues credentials expiring one hour
 * later on that clock and counts every AssumeRoleWithWebIdentity: the server we control. The
 * clients are the real SDK v3 clients (signing, caching, retries); the data-plane calls are
 * answered by the same double, which refuses any call signed with expired credentials.
 *
 * Load shape: `sequential` calls alternating S3 ListObjectsV2 / STS GetCallerIdentity, spread
 * evenly over 3 h; every tenth of the way (t = 0 included, cold) a burst of `concurrent ÷ 10`
 * calls fired at once, half per client.
 */
export interface P1Result {
  sequential: number;
  concurrent: number;
  simulatedHours: number;
  credentialLifetimeSeconds: number;
  /** Exchanges a perfect process makes: one per credential lifetime (refreshed ahead of expiry). */
  lifetimes: number;
  strategies: {
    id: Strategy["id"];
    label: string;
    exchanges: number;
    failures: number;
    seconds: number;
    servedWhileRefreshing?: number;
  }[];
}

const HOUR = 3_600_000;

export async function runP1(options: { quick: boolean }): Promise<P1Result> {
  const sequential = options.quick ? 1_000 : 10_000;
  const concurrent = options.quick ? 100 : 1_000;
  const simulatedMs = 3 * HOUR;
  const bursts = 10;
  const step = simulatedMs / sequential;
  const token = await mintBenchToken(24 * 3600);
  const strategies: P1Result["strategies"] = [];

  for (const id of ALL_STRATEGIES) {
    const clock = installSimulatedClock();
    const ledger = new CredentialLedger();
    const aws = await startFakeAws({ clock, ledger, issueCredentials: { lifetimeSeconds: 3600 } });
    const strategy = makeStrategy(id, {
      region: "us-east-1",
      endpoint: aws.endpoint,
      stsEndpoint: aws.endpoint,
      roleArn: "arn:aws:iam::123456789012:role/KeylessBench",
      token,
    });
    let failures = 0;
    const started = performance.now();
    try {
      for (let i = 0; i < sequential; i++) {
        if (i % (sequential / bursts) === 0) {
          const size = concurrent / bursts;
          const results = await Promise.all(
            Array.from({ length: size }, (_, j) => settle(appCall(strategy.clients(), j))),
          );
          failures += results.filter((r) => !r.ok).length;
        }
        const result = await settle(appCall(strategy.clients(), i));
        if (!result.ok) failures++;
        clock.advance(step);
      }
    } finally {
      strategy.close();
      clock.restore();
      await aws.close();
    }
    strategies.push({
      id,
      label: strategy.label,
      exchanges: aws.stats().exchanges,
      failures,
      seconds: (performance.now() - started) / 1000,
      ...(strategy.provider
        ? { servedWhileRefreshing: strategy.provider.stats().servedWhileRefreshing }
        : {}),
    });
  }
  // 1 h credentials refreshed 5 min ahead: a new lifetime starts every 55 min.
  const lifetimes = Math.ceil(simulatedMs / (HOUR - 5 * 60_000));
  return {
    sequential,
    concurrent,
    simulatedHours: 3,
    credentialLifetimeSeconds: 3600,
    lifetimes,
    strategies,
  };
}
