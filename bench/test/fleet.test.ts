// P8's fleet model, small: the behaviours its table rests on, each shown by turning it off.
// No sandbox: every exchange goes through the real SDK to the in-process STS quota, on
// compressed time.

import { describe, expect, it } from "vitest";
import { installCompressedTime } from "../src/lib/compressed-time";
import { startStsQuota } from "../src/lib/sts-quota";
import { runP8 } from "../src/p8-fleet";

describe("compressed time", () => {
  it("fires timers in time order on the simulated clock, with Date following it", async () => {
    const start = Date.parse("2026-12-07T00:00:00Z");
    const time = installCompressedTime(start);
    const seen: string[] = [];
    try {
      setTimeout(() => seen.push(`b@${Date.now() - start}`), 3_600_000);
      setTimeout(() => seen.push(`a@${Date.now() - start}`), 1_000);
      const cancelled = setTimeout(() => seen.push("never"), 2_000);
      clearTimeout(cancelled);
      void time.sleep(500).then(() => seen.push(`sleep@${new Date().toISOString()}`));
      await time.runUntil(start + 7_200_000);
    } finally {
      time.restore();
    }
    expect(seen).toEqual(["sleep@2026-12-07T00:00:00.500Z", "a@1000", "b@3600000"]);
    expect(time.fired()).toBe(3);
  });
});

describe("the STS quota", () => {
  it("answers within the bucket and throttles beyond it, refilling at the rate", async () => {
    const time = installCompressedTime(0);
    try {
      const sts = startStsQuota({
        now: time.now,
        sleep: time.sleep,
        ratePerSecond: 5,
        lifetimeSeconds: 900,
      });
      const call = () =>
        sts.handler.handle({ body: "Action=AssumeRoleWithWebIdentity&Version=2011-06-15" });
      const pending = Array.from({ length: 8 }, () => call());
      await time.runUntil(time.now() + 100);
      const burst = (await Promise.all(pending)).map((answer) => answer.response.statusCode);
      expect(burst.filter((status) => status === 200)).toHaveLength(5);
      expect(burst.filter((status) => status === 400)).toHaveLength(3);
      await time.runUntil(time.now() + 1_000); // five tokens back
      const later = call();
      await time.runUntil(time.now() + 100);
      expect((await later).response.statusCode).toBe(200);
      expect(sts.stats()).toMatchObject({ calls: 9, throttled: 3, peakCallsPerSecond: 8 });
    } finally {
      time.restore();
    }
  });
});

describe("a fleet on one account's quota", () => {
  // 120 instances started within one second against 20 calls/s: six seconds of exchanges.
  const storm = { instances: [120], stormSeconds: 1, quotaPerSecond: 20, requestEveryMs: 1_000 };

  it("our provider's backoff gets a throttled storm through; without it, requests fail", async () => {
    const [withBackoff] = (await runP8({ ...storm, strategies: ["ours"], scenarios: ["storm"] }))
      .runs;
    expect(withBackoff?.throttledCalls).toBeGreaterThan(0);
    expect(withBackoff?.failedRequests).toBe(0);
    expect(withBackoff?.stsCalls).toBeLessThan(120 * 10);

    const [noBackoff] = (
      await runP8({
        ...storm,
        strategies: ["ours"],
        scenarios: ["storm"],
        providerOptions: { throttleBudgetMs: 0 },
      })
    ).runs;
    expect(noBackoff?.failedRequests).toBeGreaterThan(0);
  });

  it("refresh jitter spreads a fleet's refreshes; without it they land together", async () => {
    const { runs } = await runP8({
      instances: [300],
      strategies: ["ours", "ours-no-jitter"],
      scenarios: ["refresh"],
    });
    const peak = (strategy: string) =>
      runs.find((run) => run.strategy === strategy)?.peakCallsPerSecond ?? Number.NaN;
    // 300 instances that started within 10 s: without jitter they refresh within ~10 s (~30/s);
    // with 2.5 min of jitter, a few a second.
    expect(peak("ours-no-jitter")).toBeGreaterThanOrEqual(20);
    expect(peak("ours")).toBeLessThanOrEqual(10);
    for (const run of runs) expect(run).toMatchObject({ stsCalls: 300, failedRequests: 0 });
  });
});
