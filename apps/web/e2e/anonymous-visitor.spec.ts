import { expect, test } from "@playwright/test";
import { probeAsAnonymousVisitor } from "./anonymous-visitor";

const VISITOR = () => process.env.E2E_VISITOR_URL ?? "";

test("an anonymous visitor of production sees no account, no data, and cannot upload", async ({
  page,
}) => {
  const probes = await probeAsAnonymousVisitor(VISITOR(), "production/data/sample.json");
  expect(probes.filter((probe) => !probe.ok)).toEqual([]);
  expect(probes).toHaveLength(5);

  await page.goto(VISITOR());
  await expect(page.getByRole("region", { name: "Assumed identity" })).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Credentials" })).toContainText(
    "shows nothing about the AWS account",
  );
});
