import { expect, test } from "@playwright/test";
import { downloadThroughLink, objectRow, uploadThroughForm } from "./demo-flow";

const BASE = () => process.env.E2E_BASE_URL ?? "";
const PREVIEW = () => process.env.E2E_PREVIEW_URL ?? "";
// The sandbox seeds each environment's own prefix; the app runs as production.
const SEEDED = ["welcome.txt", "data/sample.json", "images/pixel.png"].map(
  (key) => `production/${key}`,
);

const row = objectRow;

test("the dashboard shows the mode, the assumed identity and the seeded objects", async ({
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

  const bucket = page.getByRole("region", { name: /^Bucket/ });
  await expect(bucket).toContainText(process.env.E2E_BUCKET ?? "missing bucket");
  for (const key of SEEDED) await expect(row(page, key)).toBeVisible();

  // The upload form hydrated under the CSP (its button is enabled) without a single violation.
  await expect(page.getByRole("button", { name: "Upload", exact: true })).toBeEnabled();
  expect(violations).toEqual([]);

  const shot = testInfo.outputPath("dashboard.png");
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach("dashboard", { path: shot, contentType: "image/png" });
});

test("a file uploads through the presigned PUT, is listed, and downloads byte-identical", async ({
  page,
}) => {
  const content = Buffer.from(`Keyless e2e upload ${Date.now()}\nsecond line: ✓\n`, "utf8");
  await page.goto(BASE());
  const key = await uploadThroughForm(page, {
    name: "e2e upload.txt",
    storedAs: "e2e-upload.txt",
    content,
  });
  await expect(row(page, key)).toContainText(`${content.length} B`);
  expect(await downloadThroughLink(page, key)).toEqual(content);
});

test("the server refuses uploads it would not sign", async ({ page }) => {
  await page.goto(BASE());
  await page.getByLabel("File to upload").setInputFiles({
    name: "page.html",
    mimeType: "text/html",
    buffer: Buffer.from("<p>hi</p>"),
  });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.locator("form").getByRole("alert")).toContainText('type "text/html"');

  const response = await page.request.post(`${BASE()}/api/upload`, {
    data: { filename: "big.txt", contentType: "text/plain", size: 6 * 1024 * 1024 },
  });
  expect(response.status()).toBe(400);
  expect((await response.json()).error.fixes.join(" ")).toContain("at most 5.0 MB");
});

test("keyboard navigation reaches every control, with a visible focus ring", async ({ page }) => {
  await page.goto(BASE());
  await expect(row(page, SEEDED[0] ?? "")).toBeVisible();
  const expected = [
    "link:Skip to content",
    "link:Health JSON",
    "input:File to upload",
    "button:Upload",
    ...SEEDED.map((key) => `link:Download ${key}`),
  ];
  const reached: string[] = [];
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body) return null;
      const label =
        element.getAttribute("aria-label") ??
        (element.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : null) ??
        element.textContent?.trim();
      const style = getComputedStyle(element);
      return {
        name: `${element.tagName.toLowerCase() === "a" ? "link" : element.tagName.toLowerCase()}:${label}`,
        outline: style.outlineStyle !== "none" && style.outlineWidth !== "0px",
      };
    });
    if (!focused) continue;
    if (reached.includes(focused.name)) break;
    reached.push(focused.name);
    expect(focused.outline, `${focused.name} shows where the focus is`).toBe(true);
  }
  for (const control of expected) expect(reached).toContain(control);

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
