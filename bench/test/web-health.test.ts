// The web app under STS faults: `next dev` on the sandbox (a dist folder of its own), faults
// injected at the gateway. /api/health answers 503 with the explained error while STS fails, the
// process keeps serving, and it answers 200 again once STS recovers — each within the interval
// at which health asks STS (it remembers the last answer that long, so a burst of requests costs
// one STS call).

import { join } from "node:path";
import { sandboxAdmin } from "@repo/sandbox/test-kit/admin";
import { STS_CHECK_INTERVAL_MS } from "@repo/web/limits";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { answers, freePort, startUntil } from "../src/lib/processes";
import { REPO_ROOT } from "./helpers/sandbox-process";

const sandbox = inject("sandbox");
const admin = sandboxAdmin(sandbox);
const WEB_DIR = join(REPO_ROOT, "apps/web");
let server: Awaited<ReturnType<typeof startUntil>>;
let health: string;

interface HealthBody {
  ok: boolean;
  mode: string;
  error?: { code: string; title: string };
}

beforeAll(async () => {
  const port = await freePort();
  health = `http://127.0.0.1:${port}/api/health`;
  server = await startUntil(
    join(WEB_DIR, "node_modules/.bin/next"),
    ["dev", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: WEB_DIR,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NEXT_TELEMETRY_DISABLED: "1",
        // Its own build folder: never touches the one `next build` or the browser tests use.
        KEYLESS_DIST_DIR: "node_modules/.cache/keyless-bench-dev",
        ...(await admin.appEnv()),
      },
    },
    () => answers(health),
  );
}, 180_000);

afterAll(async () => {
  await admin.clearFaults();
  await server?.stop();
});

async function getHealth(): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(health);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

it("answers 503 with aws-unreachable while STS fails, then 200 once it recovers", async () => {
  const healthy = await getHealth();
  expect(healthy.status).toBe(200);
  expect(healthy.body.mode).toBe("web-identity-file");

  // Seen within one check interval (plus the time a request takes on a busy machine).
  const within = { timeout: STS_CHECK_INTERVAL_MS + 15_000, interval: 500 };
  for (const kind of ["error-503", "reset"] as const) {
    await admin.injectFault({ kind });
    await expect.poll(async () => (await getHealth()).status, within).toBe(503);
    const failing = await getHealth();
    expect(failing.body.ok).toBe(false);
    expect(failing.body.error?.code).toBe("aws-unreachable");
    await admin.clearFaults();
    await expect.poll(async () => (await getHealth()).status, within).toBe(200);
    expect((await getHealth()).body.ok).toBe(true);
  }
}, 120_000);
