// The template's workflows as GitHub reads them: each file parsed and validated by GitHub's own
// workflow parser (@actions/workflow-parser, the one behind its editor tooling), and every job's
// `if` evaluated by GitHub's own expression evaluator (@actions/expressions) against the `github`
// and `vars` contexts of a push to main in four repositories. Shared by each workflow's tests.

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
import { ROOT } from "../../lib/root.mjs";

export const WORKFLOWS = join(ROOT, ".github", "workflows");
export const DOC = join(ROOT, "docs", "workflows.md");
export const ROLE = "arn:aws:iam::111111111111:role/KeylessStack-GithubDeployRole";

/** A push to main, as each kind of repository sees it. Forks and new repositories have no variables. */
export const CASES = {
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
export type CaseName = keyof typeof CASES;

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

export function runs(
  condition: string,
  name: CaseName,
  vars?: Record<string, string>,
  branch?: string,
): boolean {
  const { tokens } = new Lexer(condition).lex();
  const tree = new Parser(tokens, ["github", "vars"], [...STATUS.values()]).parse();
  return truthy(new Evaluator(tree, contexts(name, vars, branch), STATUS).evaluate());
}

export interface Parsed {
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

export const verdict = (run: boolean) => (run ? "runs" : "skipped");

/** The docs table: one row per job, one column per repository case. */
export function table(workflows: Parsed[]): string {
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

/** Every workflow file, parsed, with lookups of a job and of its verdict in each repository. */
export async function loadWorkflows() {
  const files = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file));
  const workflows = await Promise.all(files.sort().map(parse));
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
  return { workflows, job, outcomes };
}
