// The CLI's own answers, without AWS: help, bad flags and bad configuration.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runVerifyCli } from "../helpers/verify-harness";

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  NO_COLOR: "1",
  ...extra,
});

describe("pnpm verify's command line", { timeout: 60_000 }, () => {
  it("--help documents the checks, the options and the exit codes", async () => {
    const run = await runVerifyCli(["--help"], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /--since DURATION[\s\S]*--wait DURATION[\s\S]*--url URL[\s\S]*--json/,
    );
    expect(run.stdout).toMatch(
      /exit codes: 0 every check passed, 1 a check failed, 2 usage or configuration error/,
    );
  });

  it("a bad flag or duration exits 2 with the usage line, never a stack trace", async () => {
    for (const args of [["--wait", "5x"], ["--bogus"]]) {
      const run = await runVerifyCli(args, env());
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/usage: pnpm verify/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("a configuration problem exits 2 naming the variable to fix", async () => {
    const run = await runVerifyCli(
      ["--json"],
      env({ VERCEL_TEAM_SLUG: "Acme", VERCEL_PROJECT_NAME: "web", AWS_REGION: "us-east-1" }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/VERCEL_TEAM_SLUG: "Acme" has capital letters/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe("");
  });

  it("without credentials, the first check says how to sign in and the others are not run", async () => {
    const run = await runVerifyCli(
      ["--json"],
      env({
        HOME: mkdtempSync(join(tmpdir(), "keyless-verify-nocreds-")),
        VERCEL_TEAM_SLUG: "acme",
        VERCEL_PROJECT_NAME: "web",
        AWS_REGION: "us-east-1",
        AWS_PROFILE: "",
        // No instance metadata lookups: this machine is not an EC2 instance.
        AWS_EC2_METADATA_DISABLED: "true",
      }),
    );
    expect(run.code).toBe(1);
    expect(run.report?.ok).toBe(false);
    expect(run.report?.checks[0]).toMatchObject({ name: "credentials", ok: false });
    expect(run.report?.checks[0]?.detail).toMatch(/No working AWS credentials.*aws sso login/);
    expect(
      run.report?.checks.slice(1).every((check) => check.detail.startsWith("Not checked")),
    ).toBe(true);
  });
});
