// The workflows a copy has, read by GitHub's own parser and expression evaluator: each valid, the
// core one (ci.yml) running everywhere, and the table docs/workflows.md shows computed from the
// files, so the docs cannot drift from them. Each optional part's workflow has its own test file,
// which goes with the part (tooling/template/parts.json).

import { readFileSync } from "node:fs";
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
} from "@actions/workflow-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { readParts } from "../lib/parts.mjs";
import { ROOT } from "../lib/root.mjs";
import { DOC, loadWorkflows, table } from "./helpers/workflows";

describe("the workflows, read by GitHub's own parser and expression evaluator", () => {
  let loaded: Awaited<ReturnType<typeof loadWorkflows>>;
  beforeAll(async () => {
    loaded = await loadWorkflows();
  });

  it("finds ci.yml and the workflows of the parts this copy has, each valid against GitHub's schema", () => {
    const parts = readParts(ROOT) as { parts: Record<string, { paths: string[] }> };
    const declared = Object.values(parts.parts)
      .flatMap((part) => part.paths)
      .filter((path) => path.startsWith(".github/workflows/"))
      .map((path) => path.slice(".github/workflows/".length));
    expect(loaded.workflows.map((workflow) => workflow.file)).toEqual(
      ["ci.yml", ...declared].sort(),
    );
    for (const { file, errors } of loaded.workflows) expect(errors, file).toEqual([]);
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

  it("ci.yml's tests run everywhere", () => {
    expect(loaded.outcomes("ci.yml", "test")).toEqual({
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
    expect(doc.slice(start, end === -1 ? undefined : end).trim()).toBe(table(loaded.workflows));
  });
});
