import { defineConfig } from "vitest/config";

// The workspace's own tests; test-copy/ is the separate test:copy task (vitest.copy.config.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Loading aws-cdk-lib takes seconds on a busy machine; the first test in a file pays for it.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
