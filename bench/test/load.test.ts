// The short load run: 200 requests/s for 5 s through our provider and two module-scope clients,
// with 4-second credentials, so the run crosses a lifetime and refreshes behind the traffic.
// Exchanges are real (sandbox gateway → moto); see src/load.ts for how the calls are answered.

import { sandboxAdmin } from "@repo/sandbox/test-kit/admin";
import { expect, inject, it } from "vitest";
import { runLoad } from "../src/load";

const sandbox = inject("sandbox");
const admin = sandboxAdmin(sandbox);

it("200 requests/s for 5 s with 4 s credentials: no failures, one exchange per lifetime", async () => {
  const production = sandbox.roleArns.production as string;
  const result = await runLoad(
    {
      endpoint: sandbox.endpoint,
      region: sandbox.region,
      roleArn: production,
      token: await admin.mintToken({ lifetimeSeconds: 3600 }),
    },
    { rate: 200, seconds: 5, lifetimeSeconds: 4 },
  );
  expect(result.firstFailure).toBeUndefined();
  expect(result.failures).toBe(0);
  // No call was signed with expired credentials…
  expect(result.signedExpired).toBe(0);
  // …the run crossed credential lifetimes…
  expect(result.lifetimes).toBeGreaterThanOrEqual(2);
  // …and the provider exchanged once per lifetime (plus at most one refresh nobody used yet).
  expect(result.exchanges).toBeGreaterThanOrEqual(result.lifetimes);
  expect(result.exchanges).toBeLessThanOrEqual(result.lifetimes + 1);
});
