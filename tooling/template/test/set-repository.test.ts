// The first run of a repository made from the template, offline: the repo's files (tracked and
// new, as they are now) in a temporary git repository with one "Initial commit", the way GitHub
// creates one from a template; the script run there as the workflow runs it.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  currentRepository,
  MARKER,
  parseRepository,
  ROOT,
  UsageError,
} from "../bin/set-repository.mjs";
import { cloneAsCreated, git } from "./helpers/clone";

const SCRIPT = "tooling/template/bin/set-repository.mjs";
const TEMPLATE = currentRepository(ROOT);

function runScript(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(cwd, SCRIPT), ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "test",
      GIT_AUTHOR_EMAIL: "test@example.com",
      GIT_COMMITTER_NAME: "test",
      GIT_COMMITTER_EMAIL: "test@example.com",
    },
  });
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

describe("parseRepository", () => {
  it("accepts GitHub's names", () => {
    expect(parseRepository("acme-labs/storefront").slug).toBe("acme-labs/storefront");
    expect(parseRepository(" a/b.c_d-e ").slug).toBe("a/b.c_d-e");
  });

  it.each([
    ["acme-labs", "<owner>/<repo>"],
    ["acme/labs/storefront", "<owner>/<repo>"],
    ["https://github.com/acme/web", "<owner>/<repo>"],
    ["-acme/web", 'owner "-acme"'],
    ["ac--me/web", 'owner "ac--me"'],
    [`${"a".repeat(40)}/web`, "at most 39"],
    ["acme/web shop", 'name "web shop"'],
    ["acme/..", 'name ".."'],
    ["", "<owner>/<repo>"],
  ])("refuses %j, saying what is wrong", (value, problem) => {
    expect(() => parseRepository(value)).toThrow(UsageError);
    expect(() => parseRepository(value)).toThrow(problem);
  });
});

describe("the first run, as acme-labs/storefront, on a fresh copy of the template", () => {
  let dir: string;
  let run: ReturnType<typeof runScript>;
  beforeAll(() => {
    dir = cloneAsCreated();
    run = runScript(dir, "acme-labs/storefront", "--commit");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts from the template's own coordinates", () => {
    expect(TEMPLATE).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(git(dir, "show", "HEAD~1:package.json")).toContain(`github.com/${TEMPLATE}`);
    expect(git(dir, "show", `HEAD~1:${MARKER}`).length).toBeGreaterThan(0);
  });

  it("leaves the template's coordinates nowhere, in any spelling", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const encoded = TEMPLATE.replace("/", "%2F");
    const found = spawnSync("git", ["grep", "-n", "-i", "-e", TEMPLATE, "-e", encoded], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(found.stdout).toBe("");
    expect(found.status).toBe(1); // git grep: nothing matched
  });

  it("points package.json at the new repository", () => {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.repository.url).toBe("https://github.com/acme-labs/storefront");
  });

  it("renders Deploy buttons that clone the new repository under its own name", () => {
    for (const readme of ["README.md", "apps/web/README.md"]) {
      const text = readFileSync(join(dir, readme), "utf8");
      const links = [...text.matchAll(/\(https:\/\/vercel\.com\/new\/clone\?([^)\s]+)\)/g)];
      expect(links.length, readme).toBeGreaterThan(0);
      for (const [, query] of links) {
        const params = new URLSearchParams(query);
        expect(params.get("repository-url")).toBe("https://github.com/acme-labs/storefront");
        expect(params.get("repository-name")).toBe("storefront");
        expect(params.get("envLink")).toMatch(/^https:\/\/github\.com\/acme-labs\/storefront\//);
      }
    }
    const check = spawnSync(process.execPath, ["apps/web/scripts/deploy-button.mjs", "--check"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(check.status, check.stderr).toBe(0);
  });

  it("is one commit with a clear message that also deletes the marker", () => {
    expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe("2");
    expect(git(dir, "log", "-1", "--format=%s")).toBe(
      `Make this repository acme-labs/storefront's own (was the template ${TEMPLATE})\n`,
    );
    const touched = git(dir, "show", "--name-status", "--format=", "HEAD").trim().split("\n");
    expect(touched).toContain(`D\t${MARKER}`);
    expect(touched).toContain("M\tpackage.json");
    expect(touched).toContain("M\tREADME.md");
    expect(touched.every((line) => !line.includes(".github/workflows/"))).toBe(true);
    expect(existsSync(join(dir, MARKER))).toBe(false);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("has nothing to do a second time", () => {
    const again = runScript(dir, "acme-labs/storefront", "--commit");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to do");
    expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe("2");
  });
});

describe("the command line", () => {
  let dir: string;
  beforeAll(() => {
    dir = cloneAsCreated();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses an invalid repository name in one line, exit 2, changing nothing", () => {
    const result = runScript(dir, "acme labs/storefront", "--commit");
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain('the owner "acme labs" may hold only');
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe("1");
  });

  it("refuses no argument or an unknown option with the usage line", () => {
    for (const args of [[], ["acme/web", "--force"]]) {
      const result = runScript(dir, ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("usage: pnpm repository:set <owner/repo>");
    }
  });

  it("does nothing in the template itself (package.json already names it)", () => {
    const result = runScript(dir, TEMPLATE, "--commit");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("nothing to do");
    expect(existsSync(join(dir, MARKER))).toBe(true);
    expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe("1");
  });

  it("without --commit, rewrites the files and leaves the committing to you", () => {
    const result = runScript(dir, "octo/shop");
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, "package.json"), "utf8")).toContain("github.com/octo/shop");
    expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe("1");
    expect(git(dir, "status", "--porcelain")).toContain("package.json");
  });
});
