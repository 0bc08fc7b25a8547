// .github/workflows/deploy.yml (the github-deploy part; this file goes with it), read by GitHub's
// own parser and expression evaluator.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadWorkflows, ROLE, runs, WORKFLOWS } from "./helpers/workflows";

describe("deploy.yml", () => {
  let loaded: Awaited<ReturnType<typeof loadWorkflows>>;
  beforeAll(async () => {
    loaded = await loadWorkflows();
  });

  it("cannot be called by another workflow: the deploy role trusts its own runs only", () => {
    // A workflow_call trigger would let any workflow on the branch run it as a reusable workflow,
    // and GitHub names the called file in job_workflow_ref: the role's pinned sub would match.
    const events = loaded.workflows.find((workflow) => workflow.file === "deploy.yml")?.template
      .events;
    expect(Object.keys(events ?? {}).sort()).toEqual(["push", "workflow_dispatch"]);
  });

  it("without a role variable the deploy job skips and the notice job runs", () => {
    expect(loaded.outcomes("deploy.yml", "deploy")).toEqual({
      template: "skipped",
      created: "skipped",
      fork: "skipped",
      deploying: "runs",
    });
    expect(loaded.outcomes("deploy.yml", "off")).toEqual({
      template: "runs",
      created: "runs",
      fork: "runs",
      deploying: "skipped",
    });
  });

  it("with separate accounts (AWS_DEPLOY_ROLE_ARNS) the deploy job runs too", () => {
    const vars = { AWS_DEPLOY_ROLE_ARNS: `["${ROLE}"]` };
    expect(runs(loaded.job("deploy.yml", "deploy").if.expression, "deploying", vars)).toBe(true);
    expect(runs(loaded.job("deploy.yml", "off").if.expression, "deploying", vars)).toBe(false);
  });

  it("the notice job needs no checkout, no token and no install", () => {
    const off = loaded.job("deploy.yml", "off");
    if (off.type !== "job") throw new Error("off is a plain job");
    expect(off.steps).toHaveLength(1);
    const text = readFileSync(join(WORKFLOWS, "deploy.yml"), "utf8");
    const block = text.slice(text.indexOf("\n  off:"), text.indexOf("\n  deploy:"));
    expect(block).toContain("permissions: {}");
    expect(block).not.toMatch(/uses:|id-token|pnpm/);
    expect(block).toContain("GITHUB_STEP_SUMMARY");
    expect(block).toContain("AWS_DEPLOY_ROLE_ARN");
  });
});
