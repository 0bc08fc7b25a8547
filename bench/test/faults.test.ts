// Faults injected at the sandbox gateway, seen from the app's side: our provider in front of
// real SDK clients. Expect the SDK's retries, then an explained error; the first request after
// recovery succeeds; valid credentials keep being served while a background refresh fails.

import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { ExplainedAwsError } from "@repo/aws-auth/explain";
import { diagnose } from "@repo/aws-auth/mode";
import { createCredentialProvider } from "@repo/aws-auth/provider";
import type { FaultKind } from "@repo/sandbox";
import { sandboxAdmin } from "@repo/sandbox/test-kit/admin";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";

const sandbox = inject("sandbox");
const admin = sandboxAdmin(sandbox);
let env: Record<string, string>;

beforeAll(async () => {
  env = await admin.appEnv();
});

afterEach(async () => {
  await admin.clearFaults();
});

function appClients(
  options: { now?: () => number; stsTimeoutMs?: number; throttleBudgetMs?: number } = {},
) {
  const provider = createCredentialProvider(diagnose(env), { env, ...options });
  const s3 = new S3Client({
    region: sandbox.region,
    endpoint: sandbox.endpoint,
    forcePathStyle: true,
    credentials: provider,
  });
  const list = () => s3.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
  return { provider, s3, list };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

// STS retries 5xx, throttling and network errors: three attempts in all (FACTS.md).
const RETRIED_FAULTS: FaultKind[] = ["error-500", "error-503", "throttle", "reset"];

// Throttling is explained as such (with the quota to raise); the others as AWS not answering.
const EXPLAINED_AS: Record<string, string> = { throttle: "sts-throttled" };

describe("STS fails while no credentials are cached", () => {
  it.each(RETRIED_FAULTS)("%s: retried by the SDK, then explained; recovers", async (kind) => {
    // No throttling budget: the SDK's three attempts are the whole story here.
    const { provider, s3, list } = appClients({ throttleBudgetMs: 0 });
    await admin.resetStats();
    await admin.injectFault({ kind });

    const error = await rejection(list());
    expect(error).toBeInstanceOf(ExplainedAwsError);
    const explained = (error as ExplainedAwsError).explained;
    const code = EXPLAINED_AS[kind] ?? "aws-unreachable";
    expect(explained.code).toBe(code);
    expect(explained.fixes.length).toBeGreaterThan(0);
    const stats = await admin.stats();
    expect(stats.stsFaulted).toBe(3);
    expect(stats.exchangesSucceeded).toBe(0);
    expect(provider.stats().lastError?.code).toBe(code);

    await admin.clearFaults();
    const listed = await list();
    expect(listed.Contents?.length).toBeGreaterThan(0);
    expect(provider.stats().lastError).toBeUndefined();
    s3.destroy();
  });
});

describe("STS throttles a cold instance", () => {
  it("the provider backs off past the SDK's retries, within its budget, and gets credentials", async () => {
    const { provider, s3, list } = appClients({ throttleBudgetMs: 30_000 });
    await admin.resetStats();
    // One more throttled answer than the SDK retries: only the provider's own backoff gets past it.
    await admin.injectFault({ kind: "throttle", count: 4 });
    const listed = await list();
    expect(listed.Contents?.length).toBeGreaterThan(0);
    const stats = await admin.stats();
    expect(stats.stsFaulted).toBe(4);
    expect(stats.exchangesSucceeded).toBe(1);
    expect(provider.stats()).toMatchObject({ throttled: 1, exchanges: 2 });
    expect(provider.stats().lastError).toBeUndefined();
    s3.destroy();
  });
});

describe("STS fails while cached credentials are inside their refresh window", () => {
  it.each(RETRIED_FAULTS)("%s: the valid credentials keep being served", async (kind) => {
    let skew = 0;
    // Our provider's clock only: the SDK clients would not ask it again with an hour left.
    const { provider, s3, list } = appClients({
      now: () => Date.now() + skew,
      throttleBudgetMs: 0,
    });
    await list();
    const first = await provider();
    const expiresAt = first.expiration?.getTime() ?? 0;
    skew = expiresAt - 2 * 60_000 - Date.now(); // 2 minutes before expiry: due for refresh, served
    await admin.injectFault({ kind });

    for (let i = 0; i < 5; i++) {
      expect((await provider()).accessKeyId).toBe(first.accessKeyId);
    }
    // The background refresh runs out of retries; its failure is kept, not thrown.
    await expect
      .poll(() => provider.stats().lastError?.code, { timeout: 30_000 })
      .toBe(EXPLAINED_AS[kind] ?? "aws-unreachable");
    const served = await provider();
    expect(served.accessKeyId).toBe(first.accessKeyId);
    expect(provider.stats().servedWhileRefreshing).toBeGreaterThanOrEqual(6);
    // …and they still work.
    const withServed = new S3Client({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      forcePathStyle: true,
      credentials: served,
    });
    const listed = await withServed.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
    expect(listed.Contents?.length).toBeGreaterThan(0);
    withServed.destroy();
    s3.destroy();
  });
});

describe("STS hangs", () => {
  it("the exchange times out, is explained, and the next request after recovery succeeds", async () => {
    const { s3, list } = appClients({ stsTimeoutMs: 500 });
    await admin.injectFault({ kind: "hang" });
    const error = await rejection(list());
    expect((error as ExplainedAwsError).explained?.code).toBe("aws-unreachable");
    await admin.clearFaults();
    const listed = await list();
    expect(listed.Contents?.length).toBeGreaterThan(0);
    s3.destroy();
  }, 60_000);
});
