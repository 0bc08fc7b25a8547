import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each test runs Biome over a planted file; bounded, but not by a default 5 s that a loaded
    // 2-core machine overruns.
    testTimeout: 60_000,
  },
});
