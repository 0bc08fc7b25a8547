// The bucket demo in the browser: the seeded objects of the environment's prefix, upload through
// the presigned PUT, download byte-identical, what the server refuses to sign, the keyboard, and
// the production visitor's "off" section. The demo's own: it goes with it.

import { expect, test } from "@playwright/test";
import { downloadThroughLink, objectRow, uploadThroughForm } from "./demo-flow";
import { tabStops } from "./keyboard";

const BASE = () => process.env.E2E_BASE_URL ?? "";
const VISITOR = () => process.env.E2E_VISITOR_URL ?? "";
// The sandbox seeds each environment's own prefix; the app runs as production.
const SEEDED = ["welcome.txt", "data/sample.json", "images/pixel.png"].map(
  (key) => `production/${key}`,
);

const row = objectRow;

test("the bucket section lists the seeded objects, and its form hydrates under the CSP", async ({
  page,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(BASE());
  const bucket = page.getByRole("region", { name: /^Bucket/ });
  await expect(bucket).toContainText(process.env.E2E_BUCKET ?? "missing bucket");
  for (const key of SEEDED) await expect(row(page, key)).toBeVisible();
  // The upload form hydrated under the CSP (its button is enabled) without a single violation.
  await expect(page.getByRole("button", { name: "Upload", exact: true })).toBeEnabled();
  expect(violations).toEqual([]);
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

test("keyboard navigation reaches the demo's controls, with a visible focus ring", async ({
  page,
}) => {
  await page.goto(BASE());
  await expect(row(page, SEEDED[0] ?? "")).toBeVisible();
  const reached = await tabStops(page);
  for (const stop of reached)
    expect(stop.outline, `${stop.name} shows where the focus is`).toBe(true);
  expect(reached.map((stop) => stop.name)).toEqual(
    expect.arrayContaining([
      "input:File to upload",
      "button:Upload",
      ...SEEDED.map((key) => `link:Download ${key}`),
    ]),
  );
});

test("a production visitor sees the demo off, and how its owner turns it on", async ({ page }) => {
  await page.goto(VISITOR());
  await expect(page.getByRole("region", { name: "Bucket demo" })).toContainText(
    "KEYLESS_PUBLIC_DEMO=on",
  );
  // And the server agrees: no upload is signed while the demo is off.
  const upload = await page.request.post(`${VISITOR()}/api/upload`, {
    data: { filename: "x.txt", contentType: "text/plain", size: 1 },
  });
  expect(upload.status()).toBe(403);
  expect((await upload.json()).error.code).toBe("demo-off");
});
