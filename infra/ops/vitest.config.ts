import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One module graph per worker instead of one per file (the AWS SDK clients load once); each
    // test builds its own sandbox or fixtures, so no file depends on another's modules.
    isolate: false,
  },
});
