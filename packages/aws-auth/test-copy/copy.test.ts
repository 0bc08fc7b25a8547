// "Copy into another repo", tested: `pnpm copy:aws-auth` refuses bad targets, and `<file>.tgz`
// writes a tarball with real versions. Installing the copy with pnpm and with npm is tested by
// install-pnpm.test.ts and install-npm.test.ts, which run side by side (installs mostly wait).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { COPY_SCRIPT, copyInto, run, scratchFolder } from "./helpers/copy";

const parent = scratchFolder();
const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const copyTo = (target: string) => copyInto(target, parent);

describe("pnpm copy:aws-auth", () => {
  it("refuses a missing target or a folder in use (one line, exit 2)", async () => {
    const none = await run(process.execPath, [COPY_SCRIPT], parent);
    expect(none.code).toBe(2);
    expect(none.output.trim().split("\n")).toHaveLength(1);
    expect(none.output).toContain("usage: pnpm copy:aws-auth");
    const used = await copyTo(join(fileURLToPath(new URL("..", import.meta.url))));
    expect(used.code).toBe(2);
    expect(used.output).toContain("is not empty");
  });

  it("writes a tarball npm can read, with real versions", async () => {
    const tarball = join(parent, "aws-auth.tgz");
    const result = await copyTo(tarball);
    expect(result.code, result.output).toBe(0);
    const listed = await run("tar", ["-xOzf", tarball, "package/package.json"], parent);
    expect(listed.code).toBe(0);
    expect(listed.output).toContain('"@aws-sdk/client-sts"');
    expect(listed.output).not.toContain("catalog:");
    expect(listed.output).not.toContain("workspace:");
  });

  it("pins the explained errors' docs link to the commit the copy was made from", async () => {
    const target = join(parent, "pinned");
    const result = await copyTo(target);
    expect(result.code, result.output).toBe(0);
    const commit = (await run("git", ["rev-parse", "HEAD"], PACKAGE)).output.trim();
    const copied = readFileSync(join(target, "src", "docs-link.ts"), "utf8");
    expect(copied).toContain(`/blob/${commit}/packages/aws-auth/README.md`);
    expect(copied).not.toContain("/blob/main/");
    // The README the links point into travels with the copy.
    expect(readFileSync(join(target, "README.md"), "utf8")).toContain("#### `trust-denied`");
  });
});
