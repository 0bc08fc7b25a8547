import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT, sandboxStateDir } from "@repo/sandbox/state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkspaceEnv, sandboxAppEnvFile, workspaceRootFrom } from "../lib/load-env";

describe("loadWorkspaceEnv", () => {
  let root = "";
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "keyless-env-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const sandboxEnv = (text: string) => {
    mkdirSync(join(root, ".sandbox"));
    writeFileSync(join(root, ".sandbox", "app.env"), text);
  };

  it("loads the root .env, letting the process environment win", () => {
    writeFileSync(join(root, ".env"), "AWS_REGION=eu-west-1\nS3_BUCKET=from-file\n");
    const env: Record<string, string | undefined> = { S3_BUCKET: "from-process" };
    expect(loadWorkspaceEnv(root, env).files).toEqual([".env"]);
    expect(env).toEqual({ AWS_REGION: "eu-west-1", S3_BUCKET: "from-process" });
  });

  it("adds the sandbox's app.env when nothing configures AWS", () => {
    writeFileSync(join(root, ".env"), "AWS_PROFILE=\nS3_BUCKET=mine\n");
    sandboxEnv("AWS_ROLE_ARN=arn:aws:iam::000000000000:role/sandbox\nS3_BUCKET=sandbox-bucket\n");
    const env: Record<string, string | undefined> = {};
    expect(loadWorkspaceEnv(root, env).files).toEqual([".env", ".sandbox/app.env"]);
    expect(env.AWS_ROLE_ARN).toBe("arn:aws:iam::000000000000:role/sandbox");
    expect(env.S3_BUCKET).toBe("mine");
    expect(env.AWS_PROFILE).toBeUndefined();
  });

  it("reads the sandbox's app.env from KEYLESS_SANDBOX_DIR when the environment sets it", () => {
    sandboxEnv("AWS_ROLE_ARN=arn:aws:iam::000000000000:role/default-folder\n");
    mkdirSync(join(root, "elsewhere"));
    writeFileSync(
      join(root, "elsewhere", "app.env"),
      "AWS_ROLE_ARN=arn:aws:iam::000000000000:role/elsewhere\n",
    );
    const env: Record<string, string | undefined> = { KEYLESS_SANDBOX_DIR: "elsewhere" };
    expect(loadWorkspaceEnv(root, env).files).toEqual(["elsewhere/app.env"]);
    expect(env.AWS_ROLE_ARN).toBe("arn:aws:iam::000000000000:role/elsewhere");

    // Set in .env, it is not the sandbox's folder (the sandbox reads the environment only).
    writeFileSync(join(root, ".env"), "KEYLESS_SANDBOX_DIR=elsewhere\n");
    const fromFile: Record<string, string | undefined> = {};
    expect(loadWorkspaceEnv(root, fromFile).files).toEqual([".env", ".sandbox/app.env"]);
    expect(fromFile.AWS_ROLE_ARN).toBe("arn:aws:iam::000000000000:role/default-folder");
  });

  it("finds the sandbox's folder by the sandbox's own rule", () => {
    const repoRoot = workspaceRootFrom(fileURLToPath(new URL("../", import.meta.url)));
    expect(repoRoot).toBe(resolve(REPO_ROOT));
    for (const value of [undefined, "  ", "tmp/sandbox-b", "/tmp/keyless-state"]) {
      const env = { KEYLESS_SANDBOX_DIR: value };
      expect(sandboxAppEnvFile(repoRoot, env)).toBe(join(sandboxStateDir(env), "app.env"));
    }
  });

  it("reads neither file on Vercel, where the project's variables are the configuration", () => {
    writeFileSync(join(root, ".env"), "VERCEL_TOKEN=secret\nAWS_PROFILE=work\n");
    sandboxEnv("AWS_ROLE_ARN=arn:aws:iam::000000000000:role/sandbox\n");
    const env: Record<string, string | undefined> = { VERCEL: "1" };
    expect(loadWorkspaceEnv(root, env).files).toEqual([]);
    expect(env).toEqual({ VERCEL: "1" });
  });

  it("ignores the sandbox when a profile or role is configured", () => {
    sandboxEnv("AWS_ROLE_ARN=arn:aws:iam::000000000000:role/sandbox\n");
    const fromFile: Record<string, string | undefined> = {};
    writeFileSync(join(root, ".env"), "AWS_PROFILE=work\n");
    expect(loadWorkspaceEnv(root, fromFile).files).toEqual([".env"]);
    expect(fromFile.AWS_ROLE_ARN).toBeUndefined();

    rmSync(join(root, ".env"));
    const fromProcess: Record<string, string | undefined> = {
      AWS_ROLE_ARN: "arn:aws:iam::1:role/x",
    };
    expect(loadWorkspaceEnv(root, fromProcess).files).toEqual([]);
    expect(fromProcess.AWS_ROLE_ARN).toBe("arn:aws:iam::1:role/x");
  });

  it("finds the workspace root two levels above the app", () => {
    expect(workspaceRootFrom("/repo/apps/web")).toBe("/repo");
  });
});
