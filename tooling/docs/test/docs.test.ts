// The repository's READMEs and docs against its code, and the check itself against a scratch copy
// where one missing name of each kind is planted.

import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EXTERNAL_VARIABLES, GENERATED_PATHS } from "../src/allow-lists";
import { checkDocs, type Problem, repositoryFiles } from "../src/check-docs";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const OPTIONS = { externalVariables: EXTERNAL_VARIABLES, generatedPaths: GENERATED_PATHS };
const show = (problems: Problem[]) =>
  problems.map((p) => `${p.file}:${p.line} ${p.kind} ${p.name}: ${p.why}`).join("\n");

describe("the docs name only what exists", () => {
  it("every pnpm script, path, variable and error code in a README or doc exists", () => {
    const problems = checkDocs(ROOT, OPTIONS);
    expect(problems, show(problems)).toEqual([]);
  });

  it("each allow-listed path is one the code really writes (named in a source file)", () => {
    for (const path of Object.keys(GENERATED_PATHS)) {
      const leaf = path.split("/").slice(-1)[0] ?? path;
      const found = execFileSync(
        "git",
        ["grep", "-l", "-F", leaf, "--", ":!*.md", ":!tooling/docs"],
        {
          cwd: ROOT,
          encoding: "utf8",
        },
      ).trim();
      // `vercel env pull` writes .env.local: the app's env loader reads it.
      expect(found.length, path).toBeGreaterThan(0);
    }
  });
});

describe("a planted missing name fails the check", () => {
  const copy = mkdtempSync(join(tmpdir(), "keyless-docs-"));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("reports a missing script, path, link, variable and error code, each with its line", () => {
    for (const file of repositoryFiles(ROOT)) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(ROOT, file), join(copy, file));
    }
    execFileSync("git", ["init", "--quiet"], { cwd: copy });
    appendFileSync(
      join(copy, "docs", "faq.md"),
      "\n- Run `pnpm infra:deplyo`, read `docs/settup.md` or [the guide](nowhere.md), set " +
        "`KEYLESS_NO_SUCH_SETTING=1`; the error says so (`no-such-error-code`).\n",
    );
    const problems = checkDocs(copy, OPTIONS);
    expect(problems.map(({ kind, name }) => `${kind} ${name}`).sort()).toEqual([
      "error-code no-such-error-code",
      "path docs/settup.md",
      "path nowhere.md",
      "script infra:deplyo",
      "variable KEYLESS_NO_SUCH_SETTING",
    ]);
    // All on the planted line.
    expect(new Set(problems.map((problem) => problem.line)).size).toBe(1);
    expect(new Set(problems.map((problem) => problem.file))).toEqual(new Set(["docs/faq.md"]));
  });
});
