// .github/workflows/template-first-run.yml (the first-run part; this file goes with it), read by
// GitHub's own parser and expression evaluator.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadWorkflows, runs, WORKFLOWS } from "./helpers/workflows";

describe("template-first-run.yml", () => {
  let loaded: Awaited<ReturnType<typeof loadWorkflows>>;
  beforeAll(async () => {
    loaded = await loadWorkflows();
  });

  it("runs only in a repository made from the template", () => {
    expect(loaded.outcomes("template-first-run.yml", "make-it-yours")).toEqual({
      template: "skipped",
      created: "runs",
      fork: "skipped",
      deploying: "runs",
    });
  });

  it("never on another branch, and its write token only in the push step", () => {
    const condition = loaded.job("template-first-run.yml", "make-it-yours").if.expression;
    expect(runs(condition, "created", undefined, "main")).toBe(true);
    expect(runs(condition, "created", undefined, "feature")).toBe(false);
    const text = readFileSync(join(WORKFLOWS, "template-first-run.yml"), "utf8");
    expect(text).toContain("persist-credentials: false");
    expect(text.match(/github\.token/g)).toHaveLength(1);
    const push = text.slice(text.indexOf("- name: Push the commit"));
    expect(push).toContain("github.token");
  });
});
