import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Its files name source maps it does not ship; without this Vite warns once per file.
  plugins: [
    {
      name: "drop-missing-source-maps",
      enforce: "pre",
      load(id) {
        if (!id.includes("@actions/workflow-parser/dist/") || !id.endsWith(".js")) return null;
        return readFileSync(id, "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, "");
      },
    },
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // GitHub's workflow parser imports its schema JSON without an import attribute (it is built
    // for bundlers): Vite transforms it instead of Node loading it.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
