// What Vercel's users trip over with OIDC and AWS (issue #16), each on the Vercel path: the
// shared production build (MAIN_BUILD: the app plus the routes in e2e/cases-app, laid over the
// clone, never part of the deployed app), served with Vercel's function environment and tokens
// whose lifetime the test controls. One more build without the project's AWS_REGION covers
// Vercel's preset region: its build environment differs, so it cannot be shared.
import { expect, test } from "@playwright/test";
import { buildForSandbox, type RunningDeployment, type serveBuild } from "../src/deployment";
import type { SandboxAccess } from "../src/sandbox";
import {
  env,
  JWT,
  lookupAssumeRoleEvents,
  MAIN_BUILD,
  type Served,
  serveWithLogs,
} from "./support";

const running: RunningDeployment[] = [];
let cases: Served;
let expired: Served;
let noProxyHeader: Served;
let presetRegion: Served;
let regionBuildLog: string[] = [];

function sandbox(): SandboxAccess {
  return {
    endpoint: env("VL_ENDPOINT"),
    issuerUrl: env("VL_ISSUER"),
    region: env("VL_REGION"),
    stackName: env("VL_STACK"),
    roleArns: { production: env("VL_ROLE") },
    bucket: env("VL_BUCKET"),
    owned: false,
    stop: async () => {},
  };
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(480_000);
  const access = sandbox();
  const serve = async (
    built: Awaited<ReturnType<typeof buildForSandbox>>,
    options: Partial<Parameters<typeof serveBuild>[2]>,
  ): Promise<Served> => {
    const served = await serveWithLogs(access, built, options);
    running.push(served.deployment);
    return served;
  };

  // The global setup built it; the same request finds it built (it fails if it had to build).
  const withCases = await buildForSandbox(access, {
    ...MAIN_BUILD,
    projectVariables: { ...MAIN_BUILD.projectVariables },
    log: () => {},
  });
  expect(withCases.built, "MAIN_BUILD was built again: its sources or environment changed").toBe(
    false,
  );
  const project = { projectVariables: { ...MAIN_BUILD.projectVariables } };
  cases = await serve(withCases, project);
  expired = await serve(withCases, { ...project, tokens: { expired: true } });
  noProxyHeader = await serve(withCases, {
    ...project,
    withholdOidcHeader: (name) => name === "_middleware",
  });

  // The project never set AWS_REGION: the build has none (its preflight says why that matters,
  // as a warning here so the build goes on), functions in sfo1 get Vercel's us-west-1.
  const withoutRegion = await buildForSandbox(access, {
    environment: "production",
    label: "e2e-region",
    host: "127.0.0.1",
    omitProjectRegion: true,
    projectVariables: { KEYLESS_PREFLIGHT: "warn" },
    log: (line) => regionBuildLog.push(line),
  });
  regionBuildLog = (await import("node:fs"))
    .readFileSync(withoutRegion.logFile, "utf8")
    .split("\n");
  // As a preview (same output, its own dpl_): non-production pages show the findings in full.
  presetRegion = await serve(withoutRegion, {
    environment: "preview",
    omitProjectRegion: true,
    functionRegion: "sfo1",
    projectVariables: { KEYLESS_PREFLIGHT: "warn" },
  });
});

test.afterAll(async () => {
  await Promise.all(running.map((deployment) => deployment.stop()));
});

const json = async (url: string) => {
  const response = await fetch(url);
  const text = await response.text();
  expect(text).not.toMatch(JWT);
  return { status: response.status, body: JSON.parse(text) };
};

test("an Edge route runs in the Edge runtime and is refused with the explanation", async () => {
  const { status, body } = await json(`${cases.deployment.url}/cases/edge`);
  expect(status).toBe(503);
  expect(body.explained.code).toBe("oidc-edge-runtime");
  expect(body.explained.title).toBe("AWS cannot be called from the Edge runtime");
  expect(body.explained.fixes.join(" ")).toMatch(/Node\.js route handler/);
  // It did run in the edge-runtime VM (Vercel's Edge Runtime), not on Node.
  expect(cases.deployment.index.functions.get("/cases/edge")?.config.runtime).toBe("edge");
});

test("proxy.ts (Node.js, `_middleware`) with the header gets credentials", async () => {
  const { status, body } = await json(`${cases.deployment.url}/cases/proxy`);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body.ok).toBe(true);
  expect(Date.parse(body.expiration)).toBeGreaterThan(Date.now());
});

test("proxy.ts without the header (undocumented on Vercel) gets the explained error", async () => {
  const { status, body } = await json(`${noProxyHeader.deployment.url}/cases/proxy`);
  expect(status).toBe(503);
  expect(body.explained.code).toBe("oidc-header-missing");
  expect(body.explained.cause).toContain("The 'x-vercel-oidc-token' header is missing");
  expect(body.explained.cause).toMatch(/proxy\.ts\/middleware/);
  // The other functions of that deployment still get theirs.
  expect((await json(`${noProxyHeader.deployment.url}/cases/stats`)).status).toBe(200);
});

test("a token past its exp is never sent to STS: explained, no CloudTrail event", async ({
  page,
}) => {
  const { status, body } = await json(`${expired.deployment.url}/api/health`);
  expect(status).toBe(503);
  expect(body.error.code).toBe("token-expired");
  // A production page names the failure; the explanation goes to the function log.
  await page.goto(expired.deployment.url);
  await expect(page.getByText("The identity token has expired").first()).toBeVisible();
  expect(await page.content()).not.toMatch(JWT);
  expect(expired.logs.join("\n")).toMatch(/token-expired.*was not sent to STS/);
  expect(expired.logs.join("\n")).not.toMatch(JWT);
  const session = `vercel-production-${expired.deployment.deploymentId}`;
  const events = await lookupAssumeRoleEvents(env("VL_ENDPOINT"));
  expect(events.length).toBeGreaterThan(0);
  expect(events.filter((e) => e.requestParameters?.roleSessionName === session)).toEqual([]);
});

test("the provider's stats say how long the token and the credentials have left", async () => {
  const { status, body } = await json(`${cases.deployment.url}/cases/stats`);
  expect(status).toBe(200);
  // The sandbox issues Vercel's documented lifetime; the stack's role session is 1 h.
  expect(body.stats.tokenSecondsLeft).toBeGreaterThan(0);
  expect(body.stats.credentialsSecondsLeft).toBeGreaterThan(0);
  expect(body.stats.credentialsSecondsLeft).toBeLessThanOrEqual(3600);
  expect(Date.parse(body.stats.tokenExpiration)).toBeGreaterThan(Date.now());
});

test("after() keeps working with credentials fetched in the request, and can refresh", async () => {
  for (const [id, query] of [
    ["cached", ""],
    ["refreshed", "&refresh=1"],
  ] as const) {
    const { body } = await json(`${cases.deployment.url}/cases/after?id=${id}${query}`);
    expect(body.scheduled).toBe(id);
    await expect
      .poll(() => cases.logs.find((line) => line.includes(`after() ${id}:`)), { timeout: 20_000 })
      .toMatch(new RegExp(`after\\(\\) ${id}: ok arn:aws:sts::\\d{12}:assumed-role/`));
  }
});

test("Vercel's preset AWS_REGION: the page and the build's preflight explain it", async ({
  page,
}) => {
  await page.goto(presetRegion.deployment.url);
  await expect(
    page.getByText("AWS_REGION=us-west-1 is Vercel's preset for the function region sfo1").first(),
  ).toBeVisible();
  await expect(page.getByText(/`?pnpm verify`? never looks/).first()).toBeVisible();
  const preflight = regionBuildLog.filter((line) => line.includes("aws-auth preflight"));
  expect(preflight.join("\n")).toContain("AWS_REGION is not set");
  expect(preflight.join("\n")).toContain("Vercel's preset AWS_REGION");
});
