import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // `server-only` throws outside React's server graph; route handlers and lib/ are server code.
    alias: {
      "server-only": fileURLToPath(new URL("./test/helpers/server-only.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/moto-global-setup.ts"],
    // Each file configures AWS through process.env and caches one provider per process.
    pool: "forks",
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
