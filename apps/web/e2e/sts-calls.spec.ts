// What anonymous traffic costs in STS calls, counted where STS answers (the sandbox gateway's
// GetCallerIdentity counter): /api/health at most once per STS_CHECK_INTERVAL_MS per server, the
// page once per credential set, however many requests arrive.
import { expect, test } from "@playwright/test";
import { sandboxAdmin } from "@repo/sandbox/test-kit/admin";
import { STS_CHECK_INTERVAL_MS } from "../lib/limits";

test("a burst of anonymous requests costs at most one STS call per interval", async ({
  request,
}) => {
  const base = process.env.E2E_VISITOR_URL as string;
  const admin = sandboxAdmin({
    endpoint: process.env.E2E_SANDBOX_ENDPOINT as string,
    issuerUrl: "",
    appEnvFile: "",
  });
  const before = await admin.stats();
  const started = Date.now();
  for (let i = 0; i < 30; i += 1) {
    expect((await request.get(`${base}/api/health`)).status()).toBe(200);
    if (i % 3 === 0) expect((await request.get(`${base}/`)).status()).toBe(200);
  }
  const elapsed = Date.now() - started;
  const after = await admin.stats();
  // Health: one per started interval; the page: at most one, for its credential set.
  const allowed = Math.floor(elapsed / STS_CHECK_INTERVAL_MS) + 1 + 1;
  const calls = after.stsOtherCalls - before.stsOtherCalls;
  expect(calls).toBeGreaterThanOrEqual(0);
  expect(
    calls,
    `${calls} GetCallerIdentity calls for 40 requests in ${elapsed} ms`,
  ).toBeLessThanOrEqual(allowed);
});
