// docs/setup.md's offline rehearsal, run as written: the block between its rehearsal markers, line
// by line, in a copy of this repository (its files as they are now, one commit; pnpm install
// --offline, from the store the main install filled). Here because it ends on the Vercel path. A line whose comment says "until Ctrl-C" is a terminal of its own: started
// in the background, waited for, and stopped with Ctrl-C (SIGINT to its process group) at the end.
// Every other line must exit 0; the last, `pnpm verify`, must pass every check. One change: the
// app's port, 3000 as written, is a free one (`--port N`, and N in verify's --url), so a `pnpm dev`
// of yours or another test's server on 3000 cannot fail the run.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, test } from "@playwright/test";
import { REPO_ROOT as ROOT } from "../src/sandbox";
import { freePort } from "./support";

const BLOCK = /<!-- rehearsal:start[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- rehearsal:end -->/;

/** The block's commands as written, and whether each keeps running until Ctrl-C. */
function rehearsalCommands(markdown: string): { command: string; background: boolean }[] {
  const block = BLOCK.exec(markdown)?.[1];
  if (!block) throw new Error("docs/setup.md has no rehearsal block between its markers");
  return block
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [command = "", comment = ""] = line.split(/\s+#\s?/, 2);
      return { command: command.trim(), background: /until Ctrl-C/.test(comment) };
    });
}

// Nothing of the developer's (or the CI job's) AWS or Vercel settings reaches the rehearsal; no
// colour either (Playwright's FORCE_COLOR would put escape codes in the output read below).
const ISOLATED = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(AWS_|VERCEL|KEYLESS_|FORCE_COLOR$)/.test(name),
    ),
  ),
  NO_COLOR: "1",
};

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });

/** This repository's files as they are now (tracked and new), as one commit of a new repository. */
function copyOfThisRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyless-rehearsal-"));
  const files = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    .split("\0")
    .filter((file) => file && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "-m", "Initial commit");
  return dir;
}

/** The block's commands with the app on `port` instead of the 3000 it is written with. */
function onPort<T extends { command: string }>(commands: T[], port: number): T[] {
  return commands.map((step) => ({
    ...step,
    command: /^pnpm vercel:local\b/.test(step.command)
      ? `${step.command} --port ${port}`
      : step.command.replaceAll("localhost:3000", `localhost:${port}`),
  }));
}

interface Terminal {
  child: ChildProcess;
  output(): string;
}

function startTerminal(command: string, cwd: string): Terminal {
  // A shell per line, as a user types it; its own process group, so Ctrl-C reaches everything.
  const child = spawn("sh", ["-c", command], {
    cwd,
    env: { ...ISOLATED, CI: "true" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Waits for a background terminal to be ready (what it prints when it is), or fails with its output. */
async function ready(terminal: Terminal, command: string, timeoutMs: number): Promise<void> {
  const signal = command.includes("pnpm sandbox")
    ? /Keyless sandbox ready/
    : /ready on http:\/\/localhost:\d+/;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal.test(terminal.output())) return;
    if (terminal.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`\`${command}\` did not get ready:\n${terminal.output().slice(-3000)}`);
}

async function ctrlC(terminal: Terminal): Promise<void> {
  if (terminal.child.exitCode !== null || terminal.child.pid === undefined) return;
  const exited = new Promise((resolve) => terminal.child.once("exit", resolve));
  process.kill(-terminal.child.pid, "SIGINT");
  const timer = setTimeout(() => {
    if (terminal.child.pid !== undefined) process.kill(-terminal.child.pid, "SIGKILL");
  }, 30_000);
  await exited;
  clearTimeout(timer);
}

test.describe("the offline rehearsal in docs/setup.md, as written", () => {
  let repo: string;
  const terminals: Terminal[] = [];

  test.afterAll(async () => {
    for (const terminal of terminals.reverse()) await ctrlC(terminal);
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  test("reads the block: configure, the sandbox, trust, deploy, Vercel, the app, verify", () => {
    const commands = rehearsalCommands(readFileSync(join(ROOT, "docs", "setup.md"), "utf8"));
    expect(commands.map((c) => c.command.split(" ").slice(0, 2).join(" "))).toEqual([
      "pnpm configure",
      "pnpm sandbox",
      "pnpm trust:check",
      "pnpm infra:deploy",
      "pnpm vercel:env",
      "pnpm vercel:local",
      "pnpm verify",
    ]);
    // Every command that would reach AWS or Vercel takes the sandbox.
    for (const step of commands.filter((c) => /infra:deploy|vercel:env|verify/.test(c.command))) {
      expect(step.command).toContain("--sandbox");
    }
    // verify reaches the app where vercel:local serves it (its default port, 3000).
    expect(commands.find((c) => c.command.startsWith("pnpm verify"))?.command).toContain(
      "--url http://localhost:3000",
    );
    expect(onPort(commands, 4123).map((c) => c.command)).toEqual(
      expect.arrayContaining([
        "pnpm vercel:local --port 4123",
        "pnpm verify --sandbox --vercel --url http://localhost:4123",
      ]),
    );
  });

  test("runs every command to success, and verify passes every check", async () => {
    test.setTimeout(900_000);
    repo = copyOfThisRepository();
    execFileSync("pnpm", ["install", "--offline", "--frozen-lockfile"], {
      cwd: repo,
      env: { ...ISOLATED, CI: "true" },
      stdio: "ignore",
      timeout: 300_000,
    });
    const port = await freePort();
    const commands = onPort(
      rehearsalCommands(readFileSync(join(repo, "docs", "setup.md"), "utf8")),
      port,
    );
    let last = "";
    for (const { command, background } of commands) {
      const terminal = startTerminal(command, repo);
      if (background) {
        terminals.push(terminal);
        await ready(terminal, command, 300_000);
        continue;
      }
      // Bounded like the background ones: a command that hangs is stopped, and fails below.
      const code = await new Promise<number | null | "timed out">((resolve) => {
        const timer = setTimeout(() => {
          resolve("timed out");
          void ctrlC(terminal);
        }, 300_000);
        terminal.child.once("exit", (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      expect({ command, code, output: code === 0 ? "" : terminal.output().slice(-3000) }).toEqual({
        command,
        code: 0,
        output: "",
      });
      last = terminal.output();
    }
    expect(existsSync(join(repo, ".env"))).toBe(true);
    // The app was served with what vercel:env set on the sandbox's Vercel project.
    const app = terminals.find((t) => t.output().includes("vercel:local"));
    expect(app?.output()).toContain(
      "variables: the sandbox's Vercel project's (AWS_REGION, AWS_ROLE_ARN",
    );
    expect(last).toContain("All 8 checks passed.");
    expect(last).toMatch(/vercel-project\s+web \(team acme\): OIDC federation on/);
  });
});
