import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One module graph per worker instead of one per file (the AWS SDK clients load once); each
    // test builds its own sandbox or fixtures, so no file depends on another's modules.
    isolate: false,
    // Bounded, but not by a default 5 s that a loaded 2-core machine overruns on a cold start.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
