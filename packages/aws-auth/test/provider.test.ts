import { describe, expect, it } from "vitest";
import { ExplainedAwsError } from "../src/explain";
import { resolveCredentialMode } from "../src/mode";
import { type AwsCredentialIdentity, createCredentialProvider } from "../src/provider";
import { checkedMargins, credentialSchedule } from "../src/validity";

const HOUR = 3_600_000;
const resolution = resolveCredentialMode({
  VERCEL: "1",
  AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessProduction",
  AWS_REGION: "us-east-1",
});

/** A fake STS: counts fetches, issues 1 h credentials at the simulated time, can be told to fail. */
function fakeSts(clock: { t: number }) {
  let fetches = 0;
  let failing = false;
  const pending: Array<() => void> = [];
  let manual = false;
  return {
    get fetches() {
      return fetches;
    },
    fail(on: boolean) {
      failing = on;
    },
    /** Hold fetches until release() — to observe what callers do while a refresh is in flight. */
    hold(on: boolean) {
      manual = on;
    },
    release() {
      for (const go of pending.splice(0)) go();
    },
    fetch: (): Promise<AwsCredentialIdentity> => {
      fetches += 1;
      const n = fetches;
      const issuedAt = clock.t;
      const settle = (
        resolve: (c: AwsCredentialIdentity) => void,
        reject: (e: unknown) => void,
      ) => {
        if (failing) {
          const error = Object.assign(new Error("Service unavailable"), {
            name: "ServiceUnavailable",
            $metadata: { httpStatusCode: 503 },
          });
          reject(error);
        } else {
          resolve({
            accessKeyId: `ASIA${n}`,
            secretAccessKey: `secret-${n}`,
            sessionToken: `session-${n}`,
            expiration: new Date(issuedAt + HOUR),
          });
        }
      };
      return new Promise((resolve, reject) => {
        if (manual) pending.push(() => settle(resolve, reject));
        else queueMicrotask(() => settle(resolve, reject));
      });
    },
  };
}

describe("the shared provider", () => {
  it("makes one fetch for many concurrent first calls", async () => {
    const clock = { t: 0 };
    const sts = fakeSts(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      fetchCredentials: sts.fetch,
    });
    const results = await Promise.all(Array.from({ length: 1000 }, () => provider()));
    expect(sts.fetches).toBe(1);
    expect(new Set(results.map((c) => c.accessKeyId))).toEqual(new Set(["ASIA1"]));
  });

  it("makes one fetch per credential lifetime across simulated hours", async () => {
    const clock = { t: 0 };
    const sts = fakeSts(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      fetchCredentials: sts.fetch,
    });
    for (let i = 0; i < 10_000; i++) {
      clock.t = Math.floor((i / 10_000) * 3 * HOUR);
      await provider();
    }
    // 3 h of 1 h credentials refreshed 5 min early: the initial fetch plus one per lifetime.
    expect(sts.fetches).toBeLessThanOrEqual(4);
    expect(sts.fetches).toBeGreaterThanOrEqual(3);
    expect(provider.stats().exchanges).toBe(sts.fetches);
  });

  it("refreshes ahead of expiry without making callers wait", async () => {
    const clock = { t: 0 };
    const sts = fakeSts(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      fetchCredentials: sts.fetch,
    });
    const first = await provider();
    clock.t = HOUR - 4 * 60_000; // inside the 5-minute window
    sts.hold(true);
    const during = await Promise.all(Array.from({ length: 50 }, () => provider()));
    // Every caller got the current credentials at once, while exactly one refresh is in flight.
    expect(during.every((c) => c.accessKeyId === first.accessKeyId)).toBe(true);
    expect(sts.fetches).toBe(2);
    sts.release();
    await new Promise((r) => setTimeout(r, 0));
    expect((await provider()).accessKeyId).toBe("ASIA2");
    expect(provider.stats().servedWhileRefreshing).toBe(50);
  });

  it("keeps serving valid credentials when a refresh fails, retries later, then recovers", async () => {
    const clock = { t: 0 };
    const sts = fakeSts(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      fetchCredentials: sts.fetch,
      retryAfterFailureMs: 10_000,
    });
    await provider();
    sts.fail(true);
    clock.t = HOUR - 4 * 60_000;
    expect((await provider()).accessKeyId).toBe("ASIA1");
    await new Promise((r) => setTimeout(r, 0));
    expect(provider.stats().lastError?.code).toBe("aws-unreachable");
    // Within the back-off no new attempt is made; the old credentials keep flowing.
    clock.t += 1_000;
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect(sts.fetches).toBe(2);
    // After the back-off, STS is back: the next call triggers a refresh that succeeds.
    sts.fail(false);
    clock.t += 10_000;
    await provider();
    await new Promise((r) => setTimeout(r, 0));
    expect((await provider()).accessKeyId).toBe("ASIA3");
    expect(provider.stats().lastError).toBeUndefined();
  });

  it("fails with an explained error once the credentials have expired and STS still fails", async () => {
    const clock = { t: 0 };
    const sts = fakeSts(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      fetchCredentials: sts.fetch,
    });
    await provider();
    sts.fail(true);
    clock.t = HOUR + 1;
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExplainedAwsError);
    expect((error as ExplainedAwsError).explained.code).toBe("aws-unreachable");
    // The first request after recovery succeeds.
    sts.fail(false);
    expect((await provider()).accessKeyId).toMatch(/^ASIA/);
  });

  it("scales the refresh window down for short-lived credentials", async () => {
    const clock = { t: 0 };
    let fetches = 0;
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      random: () => 0, // no jitter: the count below is one fetch per half lifetime
      fetchCredentials: async () => {
        fetches += 1;
        return { accessKeyId: "A", secretAccessKey: "s", expiration: new Date(clock.t + 60_000) };
      },
    });
    // 60 s credentials over 10 minutes, called every 100 ms: about one fetch per 30 s.
    for (clock.t = 0; clock.t < 600_000; clock.t += 100) {
      await provider();
      await new Promise((r) => queueMicrotask(() => r(null)));
    }
    expect(fetches).toBeGreaterThanOrEqual(19);
    expect(fetches).toBeLessThanOrEqual(21);
  });
});

/** Credentials that expire `lifetimeMs` after the clock's time of issue. */
function issuing(clock: { t: number }, lifetimeMs = HOUR) {
  let n = 0;
  return async (): Promise<AwsCredentialIdentity> => {
    n += 1;
    return {
      accessKeyId: `ASIA${n}`,
      secretAccessKey: `secret-${n}`,
      sessionToken: `session-${n}`,
      expiration: new Date(clock.t + lifetimeMs),
    };
  };
}

const throttlingError = () =>
  Object.assign(new Error("Rate exceeded"), {
    name: "Throttling",
    $metadata: { httpStatusCode: 400 },
  });

describe("validity: refresh from expiry − R (jittered), served until expiry − M", () => {
  it("defines the schedule once, scaled down for short lifetimes, M always below R", () => {
    expect(credentialSchedule(0, HOUR, 0)).toEqual({
      refreshAt: HOUR - 5 * 60_000,
      servedUntil: HOUR - 60_000,
    });
    expect(credentialSchedule(0, HOUR, 0.999_999).refreshAt).toBeCloseTo(HOUR - 7.5 * 60_000, -1);
    // 60 s credentials: R 30 s, J 15 s, M 7.5 s.
    expect(credentialSchedule(0, 60_000, 0.5)).toEqual({ refreshAt: 22_500, servedUntil: 52_500 });
    expect(() => checkedMargins({ servingMarginMs: 300_000 })).toThrow(/must be below/);
    expect(() => createCredentialProvider(resolution, { servingMarginMs: -1 })).toThrow(
      /servingMarginMs must be/,
    );
  });

  it("spreads the refreshes of a fleet that fetched together over the jitter", async () => {
    const refreshAt = async (draw: number) => {
      const clock = { t: 0 };
      const provider = createCredentialProvider(resolution, {
        now: () => clock.t,
        random: () => draw,
        fetchCredentials: issuing(clock),
      });
      await provider();
      return provider.stats().refreshAt?.getTime();
    };
    const times = await Promise.all([0, 0.25, 0.5, 0.75].map(refreshAt));
    // Four instances, four different moments, 2.5 min apart at the extremes of the jitter.
    expect(new Set(times).size).toBe(4);
    expect(times).toEqual([
      HOUR - 300_000,
      HOUR - 300_000 - 37_500,
      HOUR - 300_000 - 75_000,
      HOUR - 300_000 - 112_500,
    ]);
  });

  it("stops serving credentials M before expiry: callers then wait for new ones", async () => {
    const clock = { t: 0 };
    const sts = fakeSts(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      random: () => 0,
      fetchCredentials: sts.fetch,
    });
    const first = await provider();
    sts.fail(true);
    clock.t = HOUR - 2 * 60_000; // due for refresh, still served; the refresh fails
    expect((await provider()).accessKeyId).toBe(first.accessKeyId);
    clock.t = HOUR - 30_000; // inside the serving margin: not handed out any more
    const error = await provider().catch((e: unknown) => e);
    expect((error as ExplainedAwsError).explained.code).toBe("aws-unreachable");
    sts.fail(false);
    expect((await provider()).accessKeyId).not.toBe(first.accessKeyId);
  });
});

describe("throttling", () => {
  it("a cold caller retries a throttled exchange with growing, jittered waits, then succeeds", async () => {
    const clock = { t: 0 };
    const waits: number[] = [];
    let calls = 0;
    const fetch = issuing(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
        clock.t += ms;
      },
      fetchCredentials: async () => {
        calls += 1;
        if (calls <= 3) throw throttlingError();
        return fetch();
      },
    });
    const credentials = await provider();
    expect(credentials.accessKeyId).toBe("ASIA1");
    // Full jitter: half of 250, 500, 1000 ms with the draw pinned at 0.5.
    expect(waits).toEqual([125, 250, 500]);
    expect(provider.stats()).toMatchObject({ throttled: 3, exchanges: 4 });
  });

  it("draws each wait at random, so instances throttled together retry apart", async () => {
    const waitsWith = async (draws: number[]) => {
      const clock = { t: 0 };
      const waits: number[] = [];
      let calls = 0;
      const provider = createCredentialProvider(resolution, {
        now: () => clock.t,
        random: () => draws.shift() ?? 0.5,
        sleep: async (ms) => {
          waits.push(ms);
          clock.t += ms;
        },
        fetchCredentials: async () => {
          calls += 1;
          if (calls <= 2) throw throttlingError();
          return issuing(clock)();
        },
      });
      await provider();
      return waits;
    };
    expect(await waitsWith([0.1, 0.1])).toEqual([25, 50]);
    expect(await waitsWith([0.9, 0.9])).toEqual([225, 450]);
  });

  it("gives up when the budget is spent and explains throttling with the quota to raise", async () => {
    const clock = { t: 0 };
    let calls = 0;
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      random: () => 0.99,
      throttleBudgetMs: 3_000,
      sleep: async (ms) => {
        clock.t += ms;
      },
      fetchCredentials: async () => {
        calls += 1;
        throw throttlingError();
      },
    });
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExplainedAwsError);
    const explained = (error as ExplainedAwsError).explained;
    expect(explained.code).toBe("sts-throttled");
    expect(explained.fixes.join(" ")).toMatch(/quota .*us-east-1/);
    // 247 + 495 + 990 + 1980 > 3 s: four attempts fit, the fifth wait would not.
    expect(calls).toBe(4);
    expect(clock.t).toBeLessThan(3_000);
  });

  it("keeps serving valid credentials while a throttled background refresh backs off", async () => {
    const clock = { t: 0 };
    let throttle = false;
    let calls = 0;
    const fetch = issuing(clock);
    const provider = createCredentialProvider(resolution, {
      now: () => clock.t,
      random: () => 0.5,
      throttleBudgetMs: 0, // one attempt per refresh, so the background backoff shows
      retryAfterFailureMs: 10_000,
      fetchCredentials: async () => {
        calls += 1;
        if (throttle) throw throttlingError();
        return fetch();
      },
    });
    const first = await provider();
    throttle = true;
    const attemptsAt: number[] = [];
    for (clock.t = HOUR - 7 * 60_000; clock.t < HOUR - 2 * 60_000; clock.t += 1_000) {
      const before = calls;
      expect((await provider()).accessKeyId).toBe(first.accessKeyId);
      await Promise.resolve();
      if (calls > before) attemptsAt.push(clock.t);
    }
    // Refresh due at expiry − 5 min − 0.5 × 2.5 min; then the waits double (× 0.75 jitter),
    // each seen at the next whole second.
    const gaps = attemptsAt.slice(1).map((t, i) => t - (attemptsAt[i] ?? 0));
    expect(attemptsAt[0]).toBe(HOUR - 375_000);
    expect(gaps.slice(0, 4)).toEqual([8_000, 15_000, 30_000, 60_000]);
    expect(provider.stats().lastError?.code).toBe("sts-throttled");
  });
});
