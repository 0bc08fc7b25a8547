// `pnpm vercel:local` as a user runs it: a busy port, a failing build, Ctrl-C. No browser needed.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { LOOPBACK, listeningAddresses } from "@repo/sandbox/test-kit/sockets";
import { BuildFailedError, buildDeployment } from "../src/build";
import { hostBasics } from "../src/environment";
import { REPO_ROOT } from "../src/sandbox";
import { freePort, JWT } from "./support";

// A sandbox state folder of this file's own: `pnpm vercel:local` uses a sandbox already running in
// `.sandbox/` (yours, or another workspace's test), and what it starts must not be found by others.
const stateDir = mkdtempSync(join(tmpdir(), "keyless-vercel-local-cli-"));
test.afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** The process groups runCli started: what a failed test leaves alive is killed after it. */
const groups: number[] = [];
test.afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone (the test stopped it).
    }
  }
});

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; output: () => string } {
  // Its own process group, as a terminal gives it: Ctrl-C reaches the whole group.
  const child = spawn("pnpm", ["vercel:local", ...args], {
    cwd: REPO_ROOT,
    env: { ...env, KEYLESS_SANDBOX_DIR: stateDir },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid !== undefined) groups.push(child.pid);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

/** The full path of a command on this process's PATH. */
const commandPath = (name: string) =>
  execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

/** Live processes of a process group. */
function groupMembers(pgid: number): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,pgid="], { encoding: "utf8" });
  return table
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([pid, group]) => group === pgid && pid !== undefined)
    .map(([pid]) => pid as number);
}

test("a busy port is one clear line, before any build", async () => {
  const blocker = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
  try {
    const { child, output } = runCli(["--port", String(port)]);
    expect(await exited(child)).not.toBe(0);
    const lines = output()
      .split("\n")
      .filter((line) => line.startsWith("vercel:local"));
    expect(lines).toEqual([
      `vercel:local: port ${port} is already in use: stop what runs there or pass --port N.`,
    ]);
  } finally {
    blocker.close();
  }
});

test("without Corepack on PATH (Node 25+), one line with the install command, before any build", async () => {
  // PATH holds node, pnpm and a shell for pnpm's scripts, and no corepack.
  const bin = mkdtempSync(join(tmpdir(), "keyless-no-corepack-"));
  try {
    symlinkSync(process.execPath, join(bin, "node"));
    symlinkSync(commandPath("pnpm"), join(bin, "pnpm"));
    symlinkSync("/bin/sh", join(bin, "sh"));
    const { child, output } = runCli(["--port", String(await freePort())], {
      ...process.env,
      PATH: bin,
    });
    expect(await exited(child)).toBe(1);
    const lines = output()
      .split("\n")
      .filter((line) => line.startsWith("vercel:local"));
    expect(lines).toEqual([
      expect.stringMatching(/^vercel:local: Corepack .* `npm install -g corepack@[\d.]+`/),
    ]);
    expect(output()).not.toMatch(/sandbox|vercel build|\n\s+at /);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test("a failing build prints Vercel's own log lines, not a stack trace", async () => {
  // A production build the preflight must fail: strict, no role. Same CLI, same staged clone.
  let failure: unknown;
  try {
    await buildDeployment({
      environment: "production",
      label: "e2e-failing",
      env: {
        ...hostBasics(),
        CI: "1",
        VERCEL: "1",
        VERCEL_ENV: "production",
        KEYLESS_PREFLIGHT: "strict",
        COREPACK_INTEGRITY_KEYS: "0",
        ENABLE_EXPERIMENTAL_COREPACK: "1",
      },
      volatile: [],
      log: () => {},
    });
  } catch (error) {
    failure = error;
  }
  expect(failure).toBeInstanceOf(BuildFailedError);
  const tail = (failure as BuildFailedError).logTail.join("\n");
  expect(tail).toContain("aws-auth preflight: FAILED");
  expect(tail).toContain('Error: Command "pnpm run build" exited with 1');
  expect(tail).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
});

test("Ctrl-C leaves no process behind: sandbox, functions, servers", async () => {
  test.setTimeout(240_000);
  const port = await freePort();
  const { child, output } = runCli(["--port", String(port)]);
  const pgid = child.pid as number;
  // Until ready, or until the CLI exits (then its output says why, without waiting the timeout).
  const progress = () => (child.exitCode === null ? output() : `exited: ${output()}`);
  await expect
    .poll(progress, { timeout: 200_000, intervals: [1000] })
    .toMatch(/ready on http|^exited/);
  expect(progress()).toMatch(/ready on http/);
  // Start a function (a child process of its own) before stopping.
  const health = await fetch(`http://127.0.0.1:${port}/api/health`);
  expect(((await health.json()) as { mode: string }).mode).toBe("vercel-oidc");
  expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(4);
  // The deployment, its functions and the sandbox it started listen on loopback only.
  const addresses = listeningAddresses(pgid);
  expect(addresses.length).toBeGreaterThanOrEqual(2);
  for (const address of addresses) expect(address).toMatch(LOOPBACK);

  process.kill(-pgid, "SIGINT");
  await exited(child);
  await expect.poll(() => groupMembers(pgid), { timeout: 15_000 }).toEqual([]);
  expect(output()).toContain("SIGINT: stopping");
  expect(output()).not.toMatch(JWT);

  // --network: the deployment on every interface (said, with what it exposes); the sandbox and
  // the functions stay on loopback. Same sources: the build is reused.
  const open = runCli(["--port", String(port), "--network"]);
  const openGroup = open.child.pid as number;
  await expect
    .poll(() => (open.child.exitCode === null ? open.output() : `exited: ${open.output()}`), {
      timeout: 200_000,
      intervals: [1000],
    })
    .toMatch(/ready on http|^exited/);
  expect(open.output()).toContain("--network: listening on every interface");
  expect(open.output()).toContain("act with its AWS credentials");
  const openAddresses = listeningAddresses(openGroup);
  expect(openAddresses.filter((address) => !LOOPBACK.test(address))).toEqual(["0.0.0.0"]);
  process.kill(-openGroup, "SIGINT");
  await exited(open.child);
  await expect.poll(() => groupMembers(openGroup), { timeout: 15_000 }).toEqual([]);
});
