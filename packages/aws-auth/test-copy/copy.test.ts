// "Copy into another repo", tested: `pnpm copy:aws-auth <dir>` writes a folder that npm and pnpm
// each install as it is and whose own typecheck and tests pass; `<file>.tgz` writes a tarball of
// the same. Installs prefer the local store/cache the workspace install filled.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const COPY_SCRIPT = fileURLToPath(new URL("../scripts/copy.mjs", import.meta.url));
const parent = mkdtempSync(join(tmpdir(), "aws-auth-copies-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    // CI=true keeps the package managers from prompting.
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: "true", INIT_CWD: cwd } });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

const copyTo = (target: string) => run(process.execPath, [COPY_SCRIPT, target], parent);

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
});

for (const manager of ["pnpm", "npm"] as const) {
  describe(`the copy, installed and tested with ${manager}`, () => {
    const dir = join(parent, `with-${manager}`);

    beforeAll(async () => {
      const copied = await copyTo(dir);
      expect(copied.code, copied.output).toBe(0);
      const install =
        manager === "pnpm"
          ? await run("pnpm", ["install", "--prefer-offline", "--no-frozen-lockfile"], dir)
          : await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
      expect(install.code, install.output.slice(-2000)).toBe(0);
    });

    it("depends on no workspace package and pins every version", () => {
      const copied = readFileSync(join(dir, "package.json"), "utf8");
      expect(copied).not.toContain("workspace:");
      expect(copied).not.toContain("catalog:");
      expect(readFileSync(join(dir, "tsconfig.json"), "utf8")).not.toContain("@repo/");
    });

    it("typechecks on its own", async () => {
      const result = await run(manager, ["run", "typecheck"], dir);
      expect(result.output).not.toMatch(/error TS\d+/);
      expect(result.code).toBe(0);
    });

    it("passes its own tests", async () => {
      const result = await run(manager, ["test"], dir);
      expect(result.output).toMatch(/Test Files\s.*\d+ passed/);
      expect(result.output).not.toMatch(/Test Files\s.*failed/);
      expect(result.code).toBe(0);
    });
  });
}
