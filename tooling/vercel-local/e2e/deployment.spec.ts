import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { REPO_ROOT, verifySandbox } from "../src/sandbox";
import { env, HARNESS_LOG, JWT, lookupAssumeRoleEvents } from "./support";

const started = Date.now();
/** Every page and body the tests saw: none may hold a token. */
const seen: string[] = [];

async function open(page: Page, url: string) {
  const response = await page.goto(url);
  seen.push(await page.content());
  return response;
}

test("production runs in vercel-oidc mode with Vercel's headers, and /api/health is ok", async ({
  page,
  request,
}, testInfo) => {
  const response = await open(page, env("VL_PRODUCTION_URL"));
  expect(response?.status()).toBe(200);
  // The routes in config.json put the app's security headers on the function's answer.
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await expect(page.getByText("mode: vercel-oidc")).toBeVisible();
  // A production page says nothing about the account: no role ARN, no account id.
  const html = await page.content();
  expect(html).not.toContain(env("VL_ROLE"));
  expect(html).not.toMatch(/(?<!\d)\d{12}(?!\d)|arn:aws:/);
  // The README's picture is this page: VL_README_SCREENSHOT=1 writes it to docs/images/ instead.
  await page.screenshot({
    path: process.env.VL_README_SCREENSHOT
      ? join(REPO_ROOT, "docs", "images", "production-page.png")
      : testInfo.outputPath("production-page.png"),
    fullPage: true,
  });

  const health = await request.get(`${env("VL_PRODUCTION_URL")}/api/health`);
  const body = await health.text();
  seen.push(body);
  expect(health.status()).toBe(200);
  // The role by name only (verify matches it against the stack); its ARN would show the account.
  expect(JSON.parse(body)).toEqual({
    ok: true,
    mode: "vercel-oidc",
    roleName: env("VL_ROLE").split("/").pop(),
  });

  // Static files come from static/, not from a function.
  const icon = await request.get(`${env("VL_PRODUCTION_URL")}/icon.svg`);
  expect(icon.headers()["content-type"]).toBe("image/svg+xml");
});

test("the STS session names the deployment in CloudTrail, and verify finds it", async ({
  request,
}) => {
  await request.get(`${env("VL_PRODUCTION_URL")}/api/health`);
  const session = `vercel-production-${env("VL_PRODUCTION_DEPLOYMENT")}`;
  const events = await lookupAssumeRoleEvents(env("VL_ENDPOINT"));
  const ours = events.filter((event) => event.requestParameters?.roleSessionName === session);
  expect(ours.length).toBeGreaterThan(0);
  expect(ours.some((event) => !event.errorCode)).toBe(true);
  expect(ours[0]?.requestParameters?.roleArn).toBe(env("VL_ROLE"));

  const report = await verifySandbox(
    { endpoint: env("VL_ENDPOINT"), region: env("VL_REGION"), stackName: env("VL_STACK") },
    { team: "acme", project: "web" },
    Date.now() - started + 60_000,
  );
  const cloudTrail = report.checks.find((check) => check.name === "cloudtrail");
  expect(cloudTrail?.ok, cloudTrail?.detail).toBe(true);
  expect(report.events.map((event) => event.sessionName)).toContain(session);
});

test("a preview deployment is refused by the production-only stack, with the reason", async ({
  page,
  request,
}) => {
  const health = await request.get(`${env("VL_PREVIEW_URL")}/api/health`);
  const body = await health.text();
  seen.push(body);
  expect(health.status()).toBe(503);
  const parsed = JSON.parse(body) as { mode: string; error?: { code: string; cause?: string } };
  expect(parsed.mode).toBe("vercel-oidc");
  expect(JSON.stringify(parsed.error)).toContain(
    "Not authorized to perform sts:AssumeRoleWithWebIdentity",
  );

  await open(page, env("VL_PREVIEW_URL"));
  await expect(page.getByText("mode: vercel-oidc")).toBeVisible();
  await expect(
    page.getByText(/Not authorized to perform sts:AssumeRoleWithWebIdentity/).first(),
  ).toBeVisible();

  const refused = (await lookupAssumeRoleEvents(env("VL_ENDPOINT"))).filter(
    (event) =>
      event.requestParameters?.roleSessionName === `vercel-preview-${env("VL_PREVIEW_DEPLOYMENT")}`,
  );
  expect(refused.map((event) => event.errorCode)).toContain("AccessDenied");
});

test("no token appears in any page the tests saw or in the harness's log", () => {
  expect(seen.length).toBeGreaterThan(0);
  for (const text of seen) expect(text).not.toMatch(JWT);
  const log = readFileSync(HARNESS_LOG, "utf8");
  // The log holds the build's and the functions' output: it did run.
  expect(log).toContain("aws-auth preflight: ok");
  expect(log).not.toMatch(JWT);
});
