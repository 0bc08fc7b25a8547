// Shared by the copy tests: run a command and collect its output; run the copy script.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

export const COPY_SCRIPT = fileURLToPath(new URL("../../scripts/copy.mjs", import.meta.url));

/** A scratch folder for this test file's copies, removed after its tests. */
export function scratchFolder(): string {
  const parent = mkdtempSync(join(tmpdir(), "aws-auth-copies-"));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));
  return parent;
}

/** Registry requests fail within a minute or so instead of retrying for many (npm's default). */
const BOUNDED_FETCHES = {
  npm_config_fetch_timeout: "30000",
  npm_config_fetch_retries: "1",
  npm_config_fetch_retry_maxtimeout: "10000",
};

/** What a failed install tried to reach, and which CA/proxy settings it had (names only). */
export function networkContext(env: NodeJS.ProcessEnv = process.env): string {
  const names = [
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "npm_config_cafile",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
  ].filter((name) => env[name]);
  const registry = env.npm_config_registry ?? "https://registry.npmjs.org/";
  return `registry ${registry}; CA/proxy variables set: ${names.length ? names.join(", ") : "none"}`;
}

export function run(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    // CI=true keeps the package managers from prompting.
    const env = { ...BOUNDED_FETCHES, ...process.env, CI: "true", INIT_CWD: cwd };
    const child = spawn(command, args, { cwd, env });
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

export const copyInto = (target: string, cwd: string) =>
  run(process.execPath, [COPY_SCRIPT, target], cwd);

/**
 * The copy written to a folder, installed with `manager` as it is, typechecked and tested on its
 * own. One test file per manager, so the two installs run side by side.
 */
export function testCopyInstalledWith(manager: "pnpm" | "npm") {
  const parent = scratchFolder();
  const copyTo = (target: string) => copyInto(target, parent);
  describe(`the copy, installed and tested with ${manager}`, () => {
    const dir = join(parent, `with-${manager}`);

    beforeAll(async () => {
      const copied = await copyTo(dir);
      expect(copied.code, copied.output).toBe(0);
      const install =
        manager === "pnpm"
          ? await run("pnpm", ["install", "--prefer-offline", "--no-frozen-lockfile"], dir)
          : await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
      expect(
        install.code,
        `${manager} install of the copy failed (${networkContext()}):\n${install.output.slice(-2000)}`,
      ).toBe(0);
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
