// The template's three workflows as GitHub reads them: each file parsed and validated by GitHub's
// own workflow parser (@actions/workflow-parser, the one behind its editor tooling), and every
// job's `if` evaluated by GitHub's own expression evaluator (@actions/expressions) against the
// `github` and `vars` contexts of a push to main in four repositories. The table it computes is
// the one docs/workflows.md shows, so the docs cannot drift from the files.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { truthy } from "@actions/expressions/result";
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from "@actions/workflow-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../bin/set-repository.mjs";

const WORKFLOWS = join(ROOT, ".github", "workflows");
const DOC = join(ROOT, "docs", "workflows.md");
const ROLE = "arn:aws:iam::111111111111:role/KeylessStack-GithubDeployRole";

/** A push to main, as each kind of repository sees it. Forks and new repositories have no variables. */
const CASES = {
  template: {
    title: "the template itself",
    repository: "your-org/keyless",
    isTemplate: true,
    fork: false,
    vars: {},
  },
  created: {
    title: "made from it, no variables",
    repository: "acme-labs/storefront",
    isTemplate: false,
    fork: false,
    vars: {},
  },
  fork: {
    title: "a fork",
    repository: "someone/keyless",
    isTemplate: false,
    fork: true,
    vars: {},
  },
  deploying: {
    title: "deploys turned on",
    repository: "acme-labs/storefront",
    isTemplate: false,
    fork: false,
    vars: { AWS_DEPLOY_ROLE_ARN: ROLE },
  },
} as const;
type CaseName = keyof typeof CASES;

function contexts(
  name: CaseName,
  vars: Record<string, string> = CASES[name].vars,
  branch = "main",
) {
  const c = CASES[name];
  const plain = {
    github: {
      repository: c.repository,
      event_name: "push",
      ref: `refs/heads/${branch}`,
      ref_name: branch,
      event: {
        repository: {
          full_name: c.repository,
          is_template: c.isTemplate,
          fork: c.fork,
          default_branch: "main",
        },
      },
    },
    vars,
  };
  return JSON.parse(JSON.stringify(plain), data.reviver) as data.Dictionary;
}

// The job-status functions a job's `if` may call; no job here needs another, so success() holds.
const status = (value: boolean): FunctionDefinition => ({
  name: "",
  minArgs: 0,
  maxArgs: 0,
  call: () => new data.BooleanData(value),
});
const STATUS = new Map<string, FunctionDefinition>(
  Object.entries({
    success: status(true),
    always: status(true),
    failure: status(false),
    cancelled: status(false),
  }).map(([name, fn]) => [name, { ...fn, name }]),
);

function runs(
  condition: string,
  name: CaseName,
  vars?: Record<string, string>,
  branch?: string,
): boolean {
  const { tokens } = new Lexer(condition).lex();
  const tree = new Parser(tokens, ["github", "vars"], [...STATUS.values()]).parse();
  return truthy(new Evaluator(tree, contexts(name, vars, branch), STATUS).evaluate());
}

interface Parsed {
  file: string;
  errors: string[];
  template: WorkflowTemplate;
}

async function parse(file: string): Promise<Parsed> {
  const content = readFileSync(join(WORKFLOWS, file), "utf8");
  const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  if (!result.value) throw new Error(`${file}: ${result.context.errors.getErrors()[0]?.message}`);
  const template = await convertWorkflowTemplate(result.context, result.value);
  const errors = [
    ...result.context.errors.getErrors().map((error) => error.message),
    ...(template.errors ?? []).map((error) => error.Message),
  ];
  return { file, errors, template };
}

const verdict = (run: boolean) => (run ? "runs" : "skipped");

/** The docs table: one row per job, one column per repository case. */
function table(workflows: Parsed[]): string {
  const names = Object.keys(CASES) as CaseName[];
  const lines = [
    `| workflow | job | ${names.map((name) => CASES[name].title).join(" | ")} |`,
    `|---|---|${names.map(() => "---|").join("")}`,
  ];
  for (const { file, template } of workflows) {
    for (const job of template.jobs) {
      const cells = names.map((name) => verdict(runs(job.if.expression, name)));
      lines.push(`| \`${file}\` | \`${job.id.value}\` | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

describe("the workflows, read by GitHub's own parser and expression evaluator", () => {
  let workflows: Parsed[] = [];
  const job = (file: string, id: string) => {
    const found = workflows
      .find((workflow) => workflow.file === file)
      ?.template.jobs.find((candidate) => candidate.id.value === id);
    if (!found) throw new Error(`${file} has no job ${id}`);
    return found;
  };
  const outcomes = (file: string, id: string) =>
    Object.fromEntries(
      (Object.keys(CASES) as CaseName[]).map((name) => [
        name,
        verdict(runs(job(file, id).if.expression, name)),
      ]),
    );

  beforeAll(async () => {
    const files = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file));
    workflows = await Promise.all(files.sort().map(parse));
  });

  it("finds the three workflows, each valid against GitHub's workflow schema", () => {
    expect(workflows.map((workflow) => workflow.file)).toEqual([
      "ci.yml",
      "deploy.yml",
      "template-first-run.yml",
    ]);
    for (const { file, errors } of workflows) expect(errors, file).toEqual([]);
  });

  it("deploy.yml cannot be called by another workflow: the deploy role trusts its own runs only", () => {
    // A workflow_call trigger would let any workflow on the branch run it as a reusable workflow,
    // and GitHub names the called file in job_workflow_ref: the role's pinned sub would match.
    const events = workflows.find((workflow) => workflow.file === "deploy.yml")?.template.events;
    expect(Object.keys(events ?? {}).sort()).toEqual(["push", "workflow_dispatch"]);
  });

  it("reports a broken workflow (the parser is not silent)", async () => {
    const result = parseWorkflow(
      { name: "broken.yml", content: "on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n" },
      new NoOperationTraceWriter(),
    );
    const template = result.value
      ? await convertWorkflowTemplate(result.context, result.value)
      : { errors: [] };
    const errors = [...result.context.errors.getErrors(), ...(template.errors ?? [])];
    expect(errors.length).toBeGreaterThan(0);
  });

  it("deploy.yml: without a role variable the deploy job skips and the notice job runs", () => {
    expect(outcomes("deploy.yml", "deploy")).toEqual({
      template: "skipped",
      created: "skipped",
      fork: "skipped",
      deploying: "runs",
    });
    expect(outcomes("deploy.yml", "off")).toEqual({
      template: "runs",
      created: "runs",
      fork: "runs",
      deploying: "skipped",
    });
  });

  it("deploy.yml: with separate accounts (AWS_DEPLOY_ROLE_ARNS) the deploy job runs too", () => {
    const vars = { AWS_DEPLOY_ROLE_ARNS: `["${ROLE}"]` };
    expect(runs(job("deploy.yml", "deploy").if.expression, "deploying", vars)).toBe(true);
    expect(runs(job("deploy.yml", "off").if.expression, "deploying", vars)).toBe(false);
  });

  it("deploy.yml: the notice job needs no checkout, no token and no install", () => {
    const off = job("deploy.yml", "off");
    if (off.type !== "job") throw new Error("off is a plain job");
    expect(off.steps).toHaveLength(1);
    const text = readFileSync(join(WORKFLOWS, "deploy.yml"), "utf8");
    const block = text.slice(text.indexOf("\n  off:"), text.indexOf("\n  deploy:"));
    expect(block).toContain("permissions: {}");
    expect(block).not.toMatch(/uses:|id-token|pnpm/);
    expect(block).toContain("GITHUB_STEP_SUMMARY");
    expect(block).toContain("AWS_DEPLOY_ROLE_ARN");
  });

  it("template-first-run.yml runs only in a repository made from the template", () => {
    expect(outcomes("template-first-run.yml", "make-it-yours")).toEqual({
      template: "skipped",
      created: "runs",
      fork: "skipped",
      deploying: "runs",
    });
  });

  it("template-first-run.yml: never on another branch, and its write token only in the push step", () => {
    const condition = job("template-first-run.yml", "make-it-yours").if.expression;
    expect(runs(condition, "created", undefined, "main")).toBe(true);
    expect(runs(condition, "created", undefined, "feature")).toBe(false);
    const text = readFileSync(join(WORKFLOWS, "template-first-run.yml"), "utf8");
    expect(text).toContain("persist-credentials: false");
    expect(text.match(/github\.token/g)).toHaveLength(1);
    const push = text.slice(text.indexOf("- name: Push the commit"));
    expect(push).toContain("github.token");
  });

  it("ci.yml's tests run everywhere", () => {
    expect(outcomes("ci.yml", "test")).toEqual({
      template: "runs",
      created: "runs",
      fork: "runs",
      deploying: "runs",
    });
  });

  it("docs/workflows.md shows exactly this table", () => {
    const doc = readFileSync(DOC, "utf8");
    const start = doc.indexOf("| workflow |");
    const end = doc.indexOf("\n\n", start);
    expect(doc.slice(start, end === -1 ? undefined : end).trim()).toBe(table(workflows));
  });
});
