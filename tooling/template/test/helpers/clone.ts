// A repository as GitHub creates one from the template: this one's files (tracked and new, as
// they are now) in a temporary git repository with one "Initial commit".
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "../../lib/root.mjs";

export const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });

/** A repository holding this one's files as they are now, in one commit. */
export function cloneAsCreated(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyless-first-run-"));
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

/** Runs a command in a copy with a plain environment (CI, no colour); throws with its output. */
export const runIn = (repo: string, command: string, args: string[], timeout = 300_000) =>
  execFileSync(command, args, {
    cwd: repo,
    encoding: "utf8",
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "FORCE_COLOR")),
      CI: "true",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    timeout,
  });
