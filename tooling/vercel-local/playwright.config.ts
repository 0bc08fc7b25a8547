import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "@repo/sandbox/prerequisites";

// CHROMIUM_PATH, else the system's Chromium or Chrome (CI points CHROMIUM_PATH at its Chrome), else
// Playwright's own (`pnpm --filter @repo/web exec playwright install chromium`): `pnpm test` checked one exists.
export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  // One sandbox, one `vercel build`, three deployments served from it (see e2e/global-setup.ts).
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: ".reports/e2e.json" }]],
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    screenshot: "only-on-failure",
    launchOptions: chromiumLaunchOptions(),
  },
});
