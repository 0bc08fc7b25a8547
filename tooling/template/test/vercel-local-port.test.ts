// The dev container forwards the port `pnpm vercel:local` serves on (the vercel-local part; this
// file goes with it).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../lib/root.mjs";

describe("pnpm vercel:local in the dev container", () => {
  it("serves on 3000 by default, the port the container forwards", () => {
    const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
    expect(read("tooling/vercel-local/bin/vercel-local.ts")).toContain(
      'port: { type: "string", default: "3000" }',
    );
    const container = JSON.parse(read(".devcontainer/devcontainer.json")) as {
      forwardPorts: number[];
    };
    expect(container.forwardPorts).toContain(3000);
  });
});
