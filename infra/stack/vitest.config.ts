import { defineConfig } from "vitest/config";

// The workspace's own tests; test-copy/ is the separate test:copy task (vitest.copy.config.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
  },
});
