import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "@repo/sandbox/prerequisites";

// CHROMIUM_PATH, else the system's Chromium or Chrome (CI points CHROMIUM_PATH at its Chrome), else
// Playwright's own (`pnpm --filter @repo/web exec playwright install chromium`): `pnpm test` checked one exists.
export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  // Starts the sandbox, builds the app against it and runs two `next start` servers.
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: ".reports/e2e.json" }]],
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    screenshot: "only-on-failure",
    launchOptions: chromiumLaunchOptions(),
  },
});
