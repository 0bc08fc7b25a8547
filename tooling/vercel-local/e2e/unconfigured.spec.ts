import { expect, test } from "@playwright/test";
import { env } from "./support";

// The Deploy button's first deployment, on the Vercel path: the real build served with none of the
// stack's variables. Its first page speaks to the project's owner — clone, configure, deploy the
// stack, configure the project, redeploy — and /api/health answers with the same code and title.
const OWNER_COMMANDS = [
  "git clone <your repository>",
  "pnpm configure",
  "pnpm infra:deploy",
  "pnpm vercel:env --apply",
  "vercel deploy --prod",
];
// What only makes sense on a laptop — the sandbox's dev server, a profile set for the app — and
// "reload this page", which never picks up new Vercel variables.
const LAPTOP_ONLY = ["pnpm dev", "AWS_PROFILE=", "~/.aws", "reload this page"];

test("an unconfigured deployment shows its owner the set-up steps, in order, and no laptop-only step", async ({
  page,
}) => {
  await page.goto(env("VL_UNCONFIGURED_URL"));
  const setup = page.getByRole("region", { name: "This deployment is not connected to AWS yet" });
  await expect(setup).toBeVisible();
  const steps = setup.getByRole("listitem");
  await expect(steps).toHaveCount(5);
  const text = ((await setup.textContent()) ?? "").replace(/\s+/g, " ");
  const positions = OWNER_COMMANDS.map((command) => text.indexOf(command));
  expect(positions.every((position) => position >= 0)).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  for (const phrase of LAPTOP_ONLY) expect(text).not.toContain(phrase);
  expect(text).toContain("a redeploy does");

  // /api/health agrees: the same code and title (a production deployment gives visitors no more).
  const health = await page.request.get(`${env("VL_UNCONFIGURED_URL")}/api/health`);
  expect(health.status()).toBe(503);
  expect(await health.json()).toMatchObject({
    ok: false,
    mode: "none",
    error: { code: "not-configured", title: "This deployment is not connected to AWS yet" },
  });
});
