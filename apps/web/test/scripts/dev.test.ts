// `pnpm dev` on a machine with no route to moto (no KEYLESS_MOTO, moto_server, python3 or Docker
// on PATH): one line naming what is missing and how to install it, before anything is built or
// served, and a failing exit. And stopped by a signal sent to it alone (a process manager, an
// editor's stop button), it takes the sandbox and next dev down with it. Started with no
// --hostname, everything it runs listens on loopback only.

import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOOPBACK, listeningAddresses } from "@repo/sandbox/test-kit/sockets";
import { afterAll, expect, it } from "vitest";
import { freePort } from "../helpers/moto";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = mkdtempSync(join(tmpdir(), "keyless-dev-nomoto-"));
// A sandbox state folder of this file's own: `pnpm dev` uses a sandbox already running in
// `.sandbox/` (yours, or another workspace's test running at the same time), and none of that may
// decide what these tests see.
const stateDir = mkdtempSync(join(tmpdir(), "keyless-dev-state-"));
afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

/** PATH holds only what `pnpm dev` itself needs: node, pnpm and a shell for pnpm's scripts. */
function whichPath(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  throw new Error(`${name} is not on PATH`);
}

it("pnpm dev without moto: the one-line prerequisite message, before any build", async () => {
  symlinkSync(process.execPath, join(bin, "node"));
  symlinkSync(whichPath("pnpm"), join(bin, "pnpm"));
  symlinkSync("/bin/sh", join(bin, "sh"));
  const child = spawn("pnpm", ["dev"], {
    cwd: REPO_ROOT,
    // AWS_ROLE_ARN / AWS_PROFILE blank: nothing configured, so dev wants the sandbox.
    env: {
      PATH: bin,
      HOME: bin,
      NODE_ENV: "development",
      NO_COLOR: "1",
      AWS_ROLE_ARN: "",
      AWS_PROFILE: "",
      KEYLESS_SANDBOX_DIR: stateDir,
    },
    // Its own process group: if it does start something, the whole group is stopped below.
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  const code = await Promise.race([
    closed,
    new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 45_000)),
  ]);
  if (code === "still running") stopGroup(child.pid as number);

  expect({ code, output: code === "still running" ? output : "" }).toEqual({
    code: expect.any(Number),
    output: "",
  });
  expect(code).not.toBe(0);
  const missing = output.split("\n").filter((line) => line.includes("was not found"));
  expect(missing).toEqual([
    expect.stringMatching(/^moto \(the local AWS emulator\) was not found: install it with `.+`/),
  ]);
  // Nothing was started: no sandbox, no next dev, no build.
  expect(output).not.toMatch(/moto listening|Next\.js|next dev|Compiling|Creating an optimized/);
}, 60_000);

/** SIGKILL to a process group that may already be gone. */
function stopGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Processes of a process group still alive. */
function groupMembers(pgid: number): number[] {
  return execFileSync("ps", ["-eo", "pid=,pgid="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([pid, group]) => group === pgid && pid !== undefined && !Number.isNaN(pid))
    .map(([pid]) => pid as number);
}

it("SIGTERM to pnpm dev alone stops the sandbox and next dev too", async () => {
  const port = await freePort();
  // Its own process group (detached), so the test can see every process it started.
  const child = spawn(
    process.execPath,
    // No --hostname: the default address is what is tested below.
    ["--import", "tsx", "scripts/dev.ts", "--", "--port", String(port)],
    {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      detached: true,
      env: {
        ...process.env,
        AWS_ROLE_ARN: "",
        AWS_PROFILE: "",
        NO_COLOR: "1",
        KEYLESS_SANDBOX_DIR: stateDir,
        // A build folder of its own: next dev locks its folder, and yours may be running.
        KEYLESS_DIST_DIR: "node_modules/.cache/keyless-dev-test",
      },
    },
  );
  const pgid = child.pid as number;
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await expect
      .poll(() => (child.exitCode === null ? output : `exited: ${output}`), {
        timeout: 90_000,
        interval: 250,
      })
      .toMatch(/Ready in|^exited/);
    expect(output).toMatch(/Ready in/);
    // dev.ts, next dev and moto (the sandbox it started, in this file's own state folder).
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(3);
    // next dev and the sandbox's servers listen on loopback only (read from the kernel).
    const addresses = listeningAddresses(pgid);
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(address).toMatch(LOOPBACK);

    child.kill("SIGTERM");
    await expect.poll(() => groupMembers(pgid), { timeout: 30_000, interval: 250 }).toEqual([]);
  } finally {
    stopGroup(pgid);
  }
}, 150_000);
