// One fresh copy trimmed to the core, with every optional part named at once: it refuses while the
// tree has uncommitted changes, --dry-run changes nothing, and afterwards the parts are gone and
// what is left installs offline, typechecks, passes Biome and the docs check, builds, and passes
// every workspace's unit tests.

import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { optionalParts } from "../lib/parts.mjs";
import { git } from "../test/helpers/clone";
import {
  expectChecksPass,
  expectRemoved,
  installedCopy,
  TEMPLATE,
  trim,
  turbo,
} from "../test/helpers/trim";

const ALL = optionalParts(TEMPLATE) as string[];

describe("pnpm template:trim down to the core", () => {
  let repo = "";
  beforeAll(() => {
    repo = installedCopy();
  });
  afterAll(() => repo && rmSync(repo, { recursive: true, force: true }));

  it("refuses a tree with uncommitted changes, and --dry-run changes nothing", () => {
    writeFileSync(join(repo, "notes.txt"), "mine\n");
    const refused = trim(repo, ...ALL);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("1 uncommitted change(s) (notes.txt)");
    expect(refused.output).toContain("--force");
    const dry = trim(repo, ...ALL, "--dry-run");
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain(`Would remove ${ALL.join(", ")}:`);
    expect(git(repo, "status", "--porcelain")).toBe("?? notes.txt\n");
    rmSync(join(repo, "notes.txt"));
  });

  it("removes every optional part", () => {
    const result = trim(repo, ...ALL);
    expect(result.code, result.output).toBe(0);
    expectRemoved(repo, ALL);
  });

  it("typechecks, passes Biome and the docs check", () => {
    expectChecksPass(repo);
  });

  it("builds, and every workspace's unit tests pass", () => {
    turbo(repo, "build");
    turbo(repo, "test");
  });
});
