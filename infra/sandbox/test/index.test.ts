// `pnpm sandbox` as a user runs it: foreground start, the files it writes, `sandbox token`,
// refusing a second instance, a clean stop on SIGTERM, and no orphan even after SIGKILL.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MotoUnavailableError, SandboxConfigError, startSandbox } from "../src/index";
import { isPortInUse } from "../src/net";
import { motoInstallCommand } from "../src/prerequisites";
import { isAlive, type SandboxState } from "../src/state";
import { idleSynthesisChildPid, synthesizeSandbox, templateCacheFile } from "../src/synthesis";
import { isolatedInfraEnv } from "../test-kit/sample-config";

const INFRA = fileURLToPath(new URL("..", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Runs a TypeScript entry point of infra with node + tsx (no pnpm wrapper in between). */
function runTs(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ["--import", TSX, script, ...args], {
    cwd: INFRA,
    stdio: ["ignore", "pipe", "pipe"],
    // The sample team whatever the developer's .env says (the process environment wins over it).
    env: { ...process.env, ...isolatedInfraEnv(), NO_COLOR: "1", ...env },
  });
}

function collect(child: ChildProcess) {
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  return output;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function runToEnd(script: string, args: string[]) {
  const child = runTs(script, args);
  const output = collect(child);
  const code = await exited(child);
  return { code, ...output };
}

/** Processes whose command line serves moto on `port` (`… -p <port>`, as every route starts it). */
function motoServing(port: number): string[] {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => /moto/.test(line) && new RegExp(`\\s-p ${port}(\\s|$)`).test(line));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("pnpm sandbox (foreground) and pnpm sandbox token", () => {
  let stateDir: string;
  let sandbox: ChildProcess;
  let output: { stdout: string; stderr: string };
  let state: SandboxState;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "keyless-sandbox-cli-"));
    // What a crashed run leaves behind: a restart must start clean anyway.
    await writeFile(join(stateDir, "state.json"), JSON.stringify({ pid: 2 ** 22 + 1 }));
    await writeFile(join(stateDir, "web-identity-token"), "stale");
    // Its state folder named by KEYLESS_SANDBOX_DIR (the tests below check what it wrote there).
    sandbox = runTs("bin/sandbox.ts", [], { KEYLESS_SANDBOX_DIR: stateDir });
    output = collect(sandbox);
    await waitFor(
      () => output.stdout.includes("Keyless sandbox ready") || sandbox.exitCode !== null,
      "the sandbox to be ready",
      150_000,
    );
    if (sandbox.exitCode !== null) throw new Error(`the sandbox exited:\n${output.stderr}`);
    state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8"));
  }, 180_000);

  afterAll(async () => {
    if (sandbox && sandbox.exitCode === null) {
      sandbox.kill("SIGTERM");
      await exited(sandbox);
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  it("prints endpoints, role, bucket and how to mint a refused token", () => {
    expect(output.stdout).toContain(state.endpoint);
    expect(output.stdout).toContain(state.roleArns.production);
    expect(output.stdout).toContain(state.bucket);
    expect(output.stdout).toContain("https://oidc.vercel.com/acme");
    expect(output.stdout).toContain("pnpm sandbox token --environment preview");
    expect(`${output.stdout}${output.stderr}`).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  });

  it("writes the app's environment and a fresh production token, readable by the owner only", async () => {
    const appEnv = parseDotenv(await readFile(state.appEnvFile));
    expect(appEnv).toEqual({
      AWS_REGION: "us-east-1",
      AWS_ROLE_ARN: state.roleArns.production,
      AWS_ENDPOINT_URL: state.endpoint,
      S3_BUCKET: state.bucket,
      S3_PREFIX: "production/",
      AWS_WEB_IDENTITY_TOKEN_FILE: state.tokenFile,
      KEYLESS_SANDBOX: "production",
    });
    for (const file of [state.appEnvFile, state.tokenFile, join(stateDir, "state.json")]) {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
    const claims = decodeJwt(await readFile(state.tokenFile, "utf8"));
    expect(claims.sub).toBe("owner:acme:project:web:environment:production");
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000 + 3000);
    expect(state.pid).toBe(sandbox.pid);
  });

  it("prints a token to stdout, and nothing else there", async () => {
    const result = await runToEnd("bin/sandbox.ts", [
      "token",
      "--environment",
      "preview",
      "--project",
      "shop",
      "--state-dir",
      stateDir,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(decodeJwt(result.stdout.trim())).toMatchObject({
      sub: "owner:acme:project:shop:environment:preview",
      iss: "https://oidc.vercel.com/acme",
    });
    expect(result.stderr).not.toContain(result.stdout.trim());
  }, 60_000);

  it("refuses a second sandbox on the same state directory", async () => {
    const error = await startSandbox({ stateDir, env: {} }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain(`A sandbox is already running (pid ${state.pid}`);
    // The running one is untouched.
    expect(JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")).pid).toBe(state.pid);
  });

  it("stops on SIGTERM: moto and its processes gone, state files gone", async () => {
    const motoPort = Number(new URL(state.motoEndpoint).port);
    expect(await isPortInUse(motoPort)).toBe(true);
    sandbox.kill("SIGTERM");
    expect(await exited(sandbox)).toBe(0);
    expect(isAlive(state.motoPid)).toBe(false);
    // The gateway and the issuer listened in the process that exited; moto's port is checked by
    // its processes, not by connecting (a freed port may already be another test's).
    await waitFor(() => motoServing(motoPort).length === 0, "moto's processes to exit", 10_000);
    for (const file of ["state.json", "app.env", "web-identity-token"]) {
      await expect(stat(join(stateDir, file))).rejects.toMatchObject({ code: "ENOENT" });
    }
    const token = await runToEnd("bin/sandbox.ts", ["token", "--state-dir", stateDir]);
    expect(token.code).toBe(1);
    expect(token.stdout).toBe("");
    expect(token.stderr).toContain("No sandbox is running");
  }, 60_000);
});

describe("failures and orphans", () => {
  it("rejects unknown flags with the usage (exit 2)", async () => {
    const result = await runToEnd("bin/sandbox.ts", ["--enviroment", "preview"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("usage:");
  }, 60_000);

  it("says how to install moto when Python or moto is missing", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "keyless-sandbox-nomoto-"));
    try {
      const error = await startSandbox({
        stateDir,
        env: {},
        python: join(stateDir, "no-such-python3"),
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MotoUnavailableError);
      expect((error as Error).message).toContain(motoInstallCommand());
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("names the variable to fix when the configuration is wrong", async () => {
    const error = await synthesizeSandbox({ VERCEL_TEAM_SLUG: "Acme" }, tmpdir()).result.catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SandboxConfigError);
    expect((error as Error).message).toContain("VERCEL_TEAM_SLUG");
    expect((error as Error).message).toContain('"acme"');
  }, 60_000);

  it("synthesizes the configured stack once and reuses it while nothing changed", async () => {
    const env = { VERCEL_PROJECT_NAME: "shop", VERCEL_ENVIRONMENTS: "production,preview" };
    const first = await synthesizeSandbox(env, tmpdir()).result;
    expect(first.config).toMatchObject({ teamSlug: "acme", projectName: "shop" });
    expect(first.outputKeys.roles).toEqual({
      production: "RoleArnProduction",
      preview: "RoleArnPreview",
    });
    expect(JSON.stringify(first.template)).toContain("owner:acme:project:shop:environment:preview");
    expect(await synthesizeSandbox(env, tmpdir()).result).toEqual(first);
  }, 90_000);

  it("keys the template cache on the configuration as resolved, not on how it is spelled", async () => {
    const plain = isolatedInfraEnv({ VERCEL_PROJECT_NAME: "spelled" });
    // The sandbox's defaults written out, and variables the stack never reads.
    const spelledOut = isolatedInfraEnv({
      VERCEL_PROJECT_NAME: "spelled",
      VERCEL_TEAM_SLUG: "acme",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      VERCEL_OIDC_TOKEN: "not-a-token",
    });
    expect(await templateCacheFile(spelledOut)).toBe(await templateCacheFile(plain));
    const other = isolatedInfraEnv({
      VERCEL_PROJECT_NAME: "spelled",
      VERCEL_ENVIRONMENTS: "preview",
    });
    expect(await templateCacheFile(other)).not.toBe(await templateCacheFile(plain));
  });

  it("synthesizes once when two sandboxes with the same configuration start at the same time", async () => {
    // A project name no earlier run used: nothing cached yet.
    const env = isolatedInfraEnv({ VERCEL_PROJECT_NAME: `twins-${process.pid}-${Date.now()}` });
    const parent = await mkdtemp(join(tmpdir(), "keyless-synth-twins-"));
    const [a, b] = [join(parent, "a"), join(parent, "b")];
    try {
      const [first, second] = await Promise.all([
        synthesizeSandbox(env, a).result,
        synthesizeSandbox(env, b).result,
      ]);
      expect(second).toEqual(first);
      expect(first.config.projectName).toBe(env.VERCEL_PROJECT_NAME);
      // The synthesis child makes its work folder: exactly one of the two ever ran.
      expect([existsSync(a), existsSync(b)].filter(Boolean)).toHaveLength(1);
    } finally {
      await rm(parent, { recursive: true, force: true });
      await rm(await templateCacheFile(env), { force: true });
    }
  }, 90_000);

  it("a second synthesis in the same process reuses the warm child: aws-cdk-lib loads once", async () => {
    const names = ["warm-a", "warm-b"].map((name) => `${name}-${process.pid}-${Date.now()}`);
    const envs = names.map((name) => isolatedInfraEnv({ VERCEL_PROJECT_NAME: name }));
    const work = await mkdtemp(join(tmpdir(), "keyless-synth-warm-"));
    try {
      const first = await synthesizeSandbox(envs[0], join(work, "a")).result;
      const kept = idleSynthesisChildPid();
      expect(kept).toBeDefined();
      const second = await synthesizeSandbox(envs[1], join(work, "b")).result;
      expect(idleSynthesisChildPid()).toBe(kept);
      // Each answer is its own configuration's, not the previous one's.
      expect([first.config.projectName, second.config.projectName]).toEqual(names);
    } finally {
      await rm(work, { recursive: true, force: true });
      for (const env of envs) await rm(await templateCacheFile(env), { force: true });
    }
  }, 90_000);

  it("takes over the template lock of a synthesis that was killed, and releases its own", async () => {
    const env = isolatedInfraEnv({ VERCEL_PROJECT_NAME: `orphan-${process.pid}-${Date.now()}` });
    const cacheFile = await templateCacheFile(env);
    const lockFile = `${cacheFile}.lock`;
    // The lock as a killed run leaves it: written just now, by a process that no longer exists.
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.once("exit", resolve));
    await mkdir(dirname(lockFile), { recursive: true });
    await writeFile(lockFile, `${dead.pid}:${Date.now()}:0`);
    const work = await mkdtemp(join(tmpdir(), "keyless-synth-orphan-"));
    try {
      const synthesized = await synthesizeSandbox(env, work).result;
      expect(synthesized.config.projectName).toBe(env.VERCEL_PROJECT_NAME);
      expect(existsSync(lockFile)).toBe(false);
      expect(existsSync(cacheFile)).toBe(true);
    } finally {
      await rm(work, { recursive: true, force: true });
      await rm(cacheFile, { force: true });
      await rm(lockFile, { force: true });
    }
  }, 60_000);

  it("takes moto down with it even when killed with SIGKILL", async () => {
    const holder = runTs("test/helpers/moto-child.ts");
    const output = collect(holder);
    await waitFor(() => output.stdout.includes("\n"), "moto to start", 60_000);
    const { pid, port } = JSON.parse(output.stdout);
    expect(isAlive(pid)).toBe(true);
    expect(motoServing(port).length).toBeGreaterThan(0);
    holder.kill("SIGKILL");
    await exited(holder);
    await waitFor(() => !isAlive(pid), "moto to exit", 10_000);
    // Nothing of moto serves that port any more: no process left with its command line (a wrapper's
    // child included). The port itself may already be another test's: a freed port is handed out
    // again, so whether something listens there says nothing about moto.
    await waitFor(() => motoServing(port).length === 0, "moto's processes to exit", 10_000);
  }, 90_000);
});
