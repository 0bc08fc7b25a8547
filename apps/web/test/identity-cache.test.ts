// What anonymous traffic may cost in STS calls: the page asks GetCallerIdentity once per
// credential set, /api/health at most once per STS_CHECK_INTERVAL_MS, a failure is reused for that
// interval too. Counted on an STS client whose send() counts (the e2e counts at the sandbox).
import type { STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { rememberedCallerIdentity } from "../lib/identity";
import { STS_CHECK_INTERVAL_MS } from "../lib/limits";

const ARN = "arn:aws:sts::123456789012:assumed-role/KeylessRole/vercel-production-dpl_1";

function countingClients(
  answer: () => Promise<unknown> = async () => ({ Arn: ARN, Account: "123456789012" }),
) {
  let calls = 0;
  let accessKeyId = "ASIAFIRSTKEY0000001";
  const sts = {
    send: () => {
      calls += 1;
      return answer();
    },
  } as unknown as STSClient;
  return {
    clients: { sts, credentials: async () => ({ accessKeyId }) },
    calls: () => calls,
    rotate: (key: string) => {
      accessKeyId = key;
    },
  };
}

describe("rememberedCallerIdentity", () => {
  it("the page: one STS call per credential set, however many visits", async () => {
    const { clients, calls, rotate } = countingClients();
    for (let i = 0; i < 50; i += 1)
      await rememberedCallerIdentity(clients, { now: 1_000 + i * 60_000 });
    expect(calls()).toBe(1);
    rotate("ASIASECONDKEY000002");
    const identity = await rememberedCallerIdentity(clients);
    expect(identity.roleName).toBe("KeylessRole");
    expect(calls()).toBe(2);
  });

  it("health: at most one STS call per interval, and live again after it", async () => {
    const { clients, calls } = countingClients();
    const health = (now: number) =>
      rememberedCallerIdentity(clients, { maxAgeMs: STS_CHECK_INTERVAL_MS, now });
    for (let i = 0; i < 100; i += 1) await health(10_000 + i * 50);
    expect(calls()).toBe(1);
    await health(10_000 + STS_CHECK_INTERVAL_MS);
    expect(calls()).toBe(2);
  });

  it("a failure is reused for the interval, then asked again", async () => {
    const { clients, calls } = countingClients(async () => {
      throw Object.assign(new Error("Access denied"), { name: "AccessDenied" });
    });
    for (let i = 0; i < 10; i += 1) {
      await expect(rememberedCallerIdentity(clients, { now: 5_000 + i })).rejects.toThrow(
        "Access denied",
      );
    }
    expect(calls()).toBe(1);
    await expect(
      rememberedCallerIdentity(clients, { now: 5_000 + STS_CHECK_INTERVAL_MS }),
    ).rejects.toThrow();
    expect(calls()).toBe(2);
  });
});
