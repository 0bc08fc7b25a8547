import { defineConfig } from "vitest/config";

// `pnpm --filter @repo/aws-auth test:copy`: the package copied out of the workspace, installed
// with npm and pnpm from the registry, passes its own tests. Its own turbo task, so it reruns only
// when this package changes. The files run side by side: installs mostly wait on the network.
export default defineConfig({
  test: {
    include: ["test-copy/**/*.test.ts"],
    maxWorkers: 3,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
