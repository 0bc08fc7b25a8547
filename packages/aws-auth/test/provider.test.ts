import { describe, expect, it } from "vitest";
import { ExplainedAwsError } from "../src/explain";
import { resolveCredentialMode } from "../src/mode";
import { type AwsCredentialIdentity, createCredentialProvider } from "../src/provider";

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
