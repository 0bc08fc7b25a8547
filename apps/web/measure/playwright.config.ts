import { defineConfig } from "@playwright/test";

// Figures for the project's closing note, not assertions: `pnpm --filter @repo/web measure`.
export default defineConfig({
  testDir: ".",
  testMatch: "*.measure.ts",
  outputDir: "../test-results/measure",
  workers: 1,
  timeout: 600_000,
  reporter: [["list"]],
});
