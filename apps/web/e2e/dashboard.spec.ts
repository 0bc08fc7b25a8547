// The pattern's page, served by `next start` on the sandbox: the credential mode, the identity,
// the security headers, health, a refused token, the keyboard. The bucket demo's own browser tests
// are in demo.spec.ts.

import { expect, test } from "@playwright/test";
import { tabStops } from "./keyboard";

const BASE = () => process.env.E2E_BASE_URL ?? "";
const PREVIEW = () => process.env.E2E_PREVIEW_URL ?? "";

test("the dashboard shows the mode and the assumed identity, under the CSP", async ({
  page,
}, testInfo) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(BASE());
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("How this app reaches AWS");

  const credentials = page.getByRole("region", { name: "Credentials" });
  await expect(credentials).toContainText("Web identity token file");
  await expect(credentials).toContainText("mode: web-identity-file");
  await expect(credentials).toContainText("AWS_WEB_IDENTITY_TOKEN_FILE");

  const identity = page.getByRole("region", { name: "Assumed identity" });
  await expect(identity).toContainText(process.env.E2E_ROLE_ARN ?? "missing role");
  await expect(identity.getByText(/^\d{12}$/)).toBeVisible();

  // Every script the page loads ran under the CSP without a single violation.
  await page.waitForLoadState("networkidle");
  expect(violations).toEqual([]);

  const shot = testInfo.outputPath("dashboard.png");
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach("dashboard", { path: shot, contentType: "image/png" });
});

test("keyboard navigation reaches the page's controls, with a visible focus ring", async ({
  page,
}) => {
  await page.goto(BASE());
  const reached = await tabStops(page);
  for (const stop of reached)
    expect(stop.outline, `${stop.name} shows where the focus is`).toBe(true);
  expect(reached.map((stop) => stop.name)).toEqual(
    expect.arrayContaining(["link:Skip to content", "link:Health JSON"]),
  );

  // The skip link moves the focus past the header.
  await page.goto(BASE());
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page.locator("main")).toBeFocused();
});

test("every response carries the security headers; the CSP lets uploads reach only the sandbox", async ({
  request,
}) => {
  const headers = (await request.get(BASE())).headers();
  const csp = headers["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toMatch(/connect-src 'self' http:\/\/127\.0\.0\.1:\d+(;|$)/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["permissions-policy"]).toContain("camera=()");
  expect(headers["x-powered-by"]).toBeUndefined();
});

test("health answers 200 with the assumed role after one STS exchange", async ({ request }) => {
  await request.get(BASE());
  const response = await request.get(`${BASE()}/api/health`);
  expect(response.status()).toBe(200);
  expect(response.headers()["cache-control"]).toBe("no-store");
  const body = await response.json();
  expect(body).toMatchObject({
    ok: true,
    mode: "web-identity-file",
    roleArn: process.env.E2E_ROLE_ARN,
    exchanges: 1,
  });
});

test("a preview token is refused: the page explains AccessDenied and health answers 503", async ({
  page,
  request,
}, testInfo) => {
  await page.goto(PREVIEW());
  const panel = page.getByRole("region", {
    name: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
  });
  await expect(panel).toBeVisible();
  await expect(panel).toContainText("AWS did not accept these credentials");
  await expect(panel).toContainText("trust policy");
  await expect(panel.getByRole("listitem").first()).toBeVisible();
  await panel.getByText("Technical details").click();
  await expect(panel).toContainText("environment:preview");
  const html = await page.content();
  expect(html).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
  expect(html).not.toMatch(/\n\s+at [\w.<>]+ \(/);
  await page.screenshot({ path: testInfo.outputPath("preview-refused.png"), fullPage: true });

  const health = await request.get(`${PREVIEW()}/api/health`);
  expect(health.status()).toBe(503);
  const body = await health.json();
  expect(body).toMatchObject({
    ok: false,
    mode: "web-identity-file",
    error: { code: "trust-denied" },
  });
  expect(JSON.stringify(body)).not.toMatch(/eyJ[\w-]{10,}\./);
});
