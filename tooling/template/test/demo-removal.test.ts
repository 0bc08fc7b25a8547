// docs/make-it-yours.md's demo removal, run as written in a copy of this repository: every line of
// the block between its markers, then the web app's typecheck and unit tests. What must hold: the
// pattern's tests — the credential mode, the identity, /api/health, the set-up steps — pass with
// the demo gone, and nothing left behind names it. (The browser tests of the pattern need no demo
// either; they run in `pnpm test` on every change.)

import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockCommands } from "../lib/markers.mjs";
import { ROOT } from "../lib/root.mjs";
import { cloneAsCreated, git, runIn } from "./helpers/clone";

function removalCommands(markdown: string): string[] {
  const commands = blockCommands(markdown, "demo-removal");
  if (!commands)
    throw new Error("docs/make-it-yours.md has no demo-removal block between its markers");
  return commands;
}

describe("removing the demo as docs/make-it-yours.md says", { timeout: 600_000 }, () => {
  let repo = "";
  beforeAll(() => {
    repo = cloneAsCreated();
    for (const line of removalCommands(
      readFileSync(join(ROOT, "docs", "make-it-yours.md"), "utf8"),
    )) {
      runIn(repo, "sh", ["-c", line]);
    }
    runIn(repo, "pnpm", ["install", "--offline", "--frozen-lockfile"]);
  }, 600_000);
  afterAll(() => repo && rmSync(repo, { recursive: true, force: true }));

  it("removes the demo's files and the page's lines, and nothing else of the app", () => {
    for (const path of [
      "apps/web/app/demo",
      "apps/web/lib/demo",
      "apps/web/app/api/upload",
      "apps/web/test/demo",
    ]) {
      expect({ path, exists: existsSync(join(repo, path)) }).toEqual({ path, exists: false });
    }
    const page = readFileSync(join(repo, "apps/web/app/page.tsx"), "utf8");
    expect(page).not.toMatch(/demo/i);
    expect(page).toContain("<CredentialsSection");
    // Only deletions: the removal edits no line of what stays.
    const changes = git(repo, "diff", "--numstat").trim().split("\n");
    for (const change of changes) expect(change).toMatch(/^0\t\d+\t/);
    expect(existsSync(join(repo, "apps/web/app/api/health/route.ts"))).toBe(true);
  });

  it("leaves the web app's typecheck and lint passing", () => {
    expect(() => runIn(repo, "pnpm", ["--filter", "@repo/web", "run", "typecheck"])).not.toThrow();
    // Biome as CI runs it: errors fail; the one warning is the page's parameter the demo read.
    const lint = runIn(repo, "sh", [
      "-c",
      "pnpm exec biome ci apps/web --diagnostic-level=warn 2>&1",
    ]);
    expect(lint).not.toMatch(/Found \d+ errors?/);
    expect(lint.match(/lint\/[\w/]+/g) ?? []).toEqual([
      "lint/correctness/noUnusedFunctionParameters",
    ]);
  });

  it("leaves the pattern's unit tests passing: the mode, the identity, health, the set-up steps", () => {
    const output = runIn(repo, "pnpm", ["--filter", "@repo/web", "exec", "vitest", "run"], 540_000);
    const summary = /Tests\s+(\d+) passed \((\d+)\)/.exec(output);
    expect(summary?.[1]).toBeDefined();
    expect(summary?.[1]).toBe(summary?.[2]);
    for (const file of [
      "test/dashboard.test.ts",
      "test/routes.test.ts",
      "test/unconfigured.test.ts",
    ]) {
      expect(output).toContain(file);
    }
    expect(output).not.toContain("test/demo/");
  });
});
