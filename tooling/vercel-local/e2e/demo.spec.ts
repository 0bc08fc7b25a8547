// The web app's bucket demo on the Vercel path: production with the demo switch on uploads
// through the presigned PUT and downloads byte-identical, and no page shows a token. The demo's
// own: it goes with it (docs/make-it-yours.md).

import { expect, test } from "@playwright/test";
import { downloadThroughLink, uploadThroughForm } from "@repo/web/e2e/demo-flow";
import { env, JWT } from "./support";

test("with the demo switch on, a file uploads and downloads byte-identical", async ({ page }) => {
  const content = Buffer.from(`vercel:local upload ${Date.now()}\n`, "utf8");
  await page.goto(env("VL_PRODUCTION_URL"));
  // Production's own prefix, a fresh random folder: an upload never replaces another.
  const key = await uploadThroughForm(page, {
    name: "vercel local.txt",
    storedAs: "vercel-local.txt",
    content,
  });
  expect(await page.content()).not.toMatch(JWT);
  expect(await downloadThroughLink(page, key)).toEqual(content);
});

test("an anonymous visitor of production sees the demo off, and how its owner turns it on", async ({
  page,
}) => {
  await page.goto(env("VL_VISITOR_URL"));
  await expect(page.getByRole("region", { name: "Bucket demo" })).toContainText(
    "KEYLESS_PUBLIC_DEMO=on",
  );
  // And the function agrees: no upload is signed while the demo is off.
  const upload = await page.request.post(`${env("VL_VISITOR_URL")}/api/upload`, {
    data: { filename: "x.txt", contentType: "text/plain", size: 1 },
  });
  expect(upload.status()).toBe(403);
  expect((await upload.json()).error.code).toBe("demo-off");
});
