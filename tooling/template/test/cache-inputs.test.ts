// A user's new files are never invisible to the cache: every task's inputs start from turbo's
// defaults (the package's files git does not ignore), so a `components/` folder or a root file
// such as `proxy.ts` added to apps/web changes the build's, typecheck's and tests' hashes, and
// `pnpm build` / `pnpm test` run again instead of replaying old results. Read with turbo's own
// dry run in a repository made from the template.

import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/root.mjs";
import { cloneAsCreated } from "./helpers/clone";

const TURBO = join(ROOT, "node_modules", ".bin", "turbo");
const TASKS = ["build", "typecheck", "test"];

/** The hash turbo would give each of the web app's tasks now (`--dry=json`: nothing runs). */
function webHashes(repo: string): Record<string, string> {
  const out = execFileSync(TURBO, ["run", ...TASKS, "--filter=@repo/web", "--dry=json"], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const tasks = (JSON.parse(out) as { tasks: { taskId: string; hash: string }[] }).tasks;
  return Object.fromEntries(
    tasks
      .filter((task) => TASKS.some((name) => task.taskId === `@repo/web#${name}`))
      .map((task) => [task.taskId.split("#")[1], task.hash]),
  );
}

describe("apps/web's task inputs, in a repository made from the template", () => {
  let repo: string;
  let before: Record<string, string>;
  const web = (...path: string[]) => join(repo, "apps", "web", ...path);

  beforeAll(() => {
    repo = cloneAsCreated();
    before = webHashes(repo);
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("reads a hash for the build, typecheck and test tasks", () => {
    expect(Object.keys(before).sort()).toEqual(["build", "test", "typecheck"]);
  });

  it("a new components/ folder (not yet committed) changes all three", () => {
    mkdirSync(web("components"), { recursive: true });
    writeFileSync(web("components", "greeting.tsx"), "export const Greeting = () => null;\n");
    const after = webHashes(repo);
    for (const task of TASKS) expect(after[task], task).not.toBe(before[task]);
    before = after;
  });

  it("a new root file (proxy.ts) changes all three", () => {
    writeFileSync(web("proxy.ts"), "export function proxy() {}\n");
    const after = webHashes(repo);
    for (const task of TASKS) expect(after[task], task).not.toBe(before[task]);
    before = after;
  });

  it("a unit test's change reruns the tests, not the build", () => {
    writeFileSync(web("test", "added.test.ts"), "export {};\n");
    const after = webHashes(repo);
    expect(after.test).not.toBe(before.test);
    expect(after.build).toBe(before.build);
  });
});
