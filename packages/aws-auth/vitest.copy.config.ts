import { defineConfig } from "vitest/config";

// `pnpm --filter @repo/aws-auth test:copy`: the package copied out of the workspace, installed
// with npm and pnpm from the registry, passes its own tests; and copied into a plain Next.js app
// as the README says, it builds, serves and resolves credentials. Its own turbo task (slow: a
// `next build`), so it reruns only when this package changes. The files run side by side: installs
// and builds mostly wait on the network and the disk.
export default defineConfig({
  test: {
    include: ["test-copy/**/*.test.ts"],
    maxWorkers: 3,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
