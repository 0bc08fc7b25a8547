import { defineConfig } from "vitest/config";

// `pnpm --filter @repo/infra test:copy`: the construct files copied into a plain CDK app. Its own
// turbo task, so it reruns only when this workspace changes.
export default defineConfig({
  test: {
    include: ["test-copy/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
