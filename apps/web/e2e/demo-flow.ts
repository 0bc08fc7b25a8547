// The bucket demo as a visitor uses it, for the browser tests of every path that serves the app
// (`next start` here, the real `vercel build` output in tooling/vercel-local).
import { expect, type Page } from "@playwright/test";

/** The objects table's row for one key. */
export function objectRow(page: Page, key: string) {
  return page.getByRole("row").filter({ has: page.getByText(key, { exact: true }) });
}

/**
 * Uploads `content` through the form (a presigned PUT) and waits for it to be listed under a fresh
 * `production/uploads/<uuid>/` folder; returns its key.
 */
export async function uploadThroughForm(
  page: Page,
  file: { name: string; storedAs: string; content: Buffer },
): Promise<string> {
  await page.getByLabel("File to upload").setInputFiles({
    name: file.name,
    mimeType: "text/plain",
    buffer: file.content,
  });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  // A fresh random folder per upload: nobody can replace another visitor's file.
  const status = page.getByRole("status");
  const stored = file.storedAs.replaceAll(".", "\\.");
  await expect(status).toHaveText(
    new RegExp(`^Uploaded production/uploads/[0-9a-f-]{36}/${stored}\\.$`),
  );
  const key = ((await status.textContent()) ?? "").replace(/^Uploaded |\.$/g, "");
  await expect(objectRow(page, key)).toBeVisible();
  return key;
}

/**
 * Follows the object's download link and returns the bytes at the presigned GET it answered with,
 * read at that URL: Chromium hands back a displayed text body decoded, so the round trip through
 * the page is not byte-exact.
 */
export async function downloadThroughLink(page: Page, key: string): Promise<Buffer> {
  // The link answers 307 to a presigned GET. AWS sends it as an attachment (the signed
  // response-content-disposition); moto ignores that parameter, so here the browser shows it.
  const presignedGet = page.waitForResponse(
    (response) =>
      response.url().includes("X-Amz-Signature=") && response.request().method() === "GET",
  );
  await page.getByRole("link", { name: `Download ${key}` }).click();
  const response = await presignedGet;
  expect(response.status()).toBe(200);
  return (await page.request.get(response.url())).body();
}
