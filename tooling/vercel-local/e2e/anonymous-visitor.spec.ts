import { expect, test } from "@playwright/test";
import { probeAsAnonymousVisitor } from "@repo/web/e2e/anonymous-visitor";
import { env } from "./support";

// The same probes as the web app's own anonymous-visitor test, here on the path a deployment takes:
// the real `vercel build` output, each function through its launcher with Vercel's environment and
// the OIDC token in the request header, served as production with no KEYLESS_PUBLIC_DEMO.
test("on the Vercel path, an anonymous visitor of production sees no account, no data, and cannot upload", async ({
  page,
}) => {
  const probes = await probeAsAnonymousVisitor(
    env("VL_VISITOR_URL"),
    "production/data/sample.json",
  );
  expect(probes.filter((probe) => !probe.ok)).toEqual([]);
  expect(probes).toHaveLength(5);

  await page.goto(env("VL_VISITOR_URL"));
  await expect(page.getByRole("region", { name: "Assumed identity" })).toHaveCount(0);
});
