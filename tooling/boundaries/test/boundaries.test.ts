// Each boundary of boundaries.json (the rules the root biome.json extends), crossed on purpose in a
// scratch copy of the layout: Biome must fail on exactly the planted violations, and accept the
// same imports where they are allowed. The rules live in this workspace, so turbo reruns this test
// exactly when they change.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BOUNDARY_RULES = fileURLToPath(new URL("../boundaries.json", import.meta.url));
const BIOME_BIN = join(
  dirname(createRequire(import.meta.url).resolve("@biomejs/biome/package.json")),
  "bin/biome",
);

/** path in the repo layout → the import planted there, and whether Biome must refuse it. */
const PLANTS = {
  "packages/aws-auth/src/planted.ts": { from: "@repo/infra/config", refused: true },
  "packages/aws-auth/test/planted.ts": { from: "@repo/sandbox", refused: true },
  "infra/ops/src/planted.ts": { from: "aws-cdk-lib", refused: true },
  "infra/sandbox/src/planted.ts": { from: "aws-cdk-lib/aws-iam", refused: true },
  "apps/web/lib/planted.ts": { from: "@repo/sandbox", refused: true },
  "apps/web/app/planted.ts": { from: "@repo/infra/config", refused: true },
  "bench/src/planted.ts": { from: "constructs", refused: true },
  // Allowed: the stack owns the CDK; ops and the web app's tests use the infra workspaces.
  "infra/stack/src/planted.ts": { from: "aws-cdk-lib", refused: false },
  "infra/ops/src/allowed.ts": { from: "@repo/infra/config", refused: false },
  "apps/web/test/planted.ts": { from: "@repo/sandbox", refused: false },
  "apps/web/scripts/planted.ts": { from: "@repo/sandbox", refused: false },
} as const;

/** Modules that import each other (type-only counts: a cycle of types is still a tangle), and one that imports them one way. */
const CYCLE = {
  "packages/aws-auth/src/cycle-a.ts":
    'import type { B } from "./cycle-b";\n\nexport type A = { b?: B };\n',
  "packages/aws-auth/src/cycle-b.ts":
    'import type { A } from "./cycle-a";\n\nexport type B = { a?: A };\n',
  "packages/aws-auth/src/one-way.ts":
    'import type { A } from "./cycle-a";\n\nexport type C = { a?: A };\n',
} as const;

type Diagnostic = { category: string; location: { path: string } };

let scratch: string;
let refusedPaths: string[];
let cyclePaths: string[];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "keyless-boundaries-"));
  copyFileSync(BOUNDARY_RULES, join(scratch, "biome.json"));
  for (const [path, plant] of Object.entries(PLANTS)) {
    mkdirSync(join(scratch, dirname(path)), { recursive: true });
    writeFileSync(
      join(scratch, path),
      `import * as planted from "${plant.from}";\n\nexport { planted };\n`,
    );
  }
  for (const [path, source] of Object.entries(CYCLE)) writeFileSync(join(scratch, path), source);
  const result = spawnSync(
    BIOME_BIN,
    ["lint", "--vcs-enabled=false", "--reporter=json", "--max-diagnostics=none", "."],
    { cwd: scratch, encoding: "utf8" },
  );
  const report = JSON.parse(result.stdout) as { diagnostics: Diagnostic[] };
  refusedPaths = report.diagnostics
    .filter((d) => d.category === "lint/style/noRestrictedImports")
    .map((d) => d.location.path);
  cyclePaths = report.diagnostics
    .filter((d) => d.category === "lint/suspicious/noImportCycles")
    .map((d) => d.location.path);
  expect(result.status, "biome lint exits non-zero when a boundary is crossed").not.toBe(0);
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("workspace boundaries (boundaries.json noRestrictedImports)", () => {
  for (const [path, plant] of Object.entries(PLANTS)) {
    it(`${plant.refused ? "refuses" : "allows"} ${plant.from} in ${path}`, () => {
      expect(refusedPaths.includes(path)).toBe(plant.refused);
    });
  }
});

describe("no import cycles, type-only imports included (boundaries.json noImportCycles)", () => {
  it("refuses the two modules of a planted cycle, and not the one importing them one way", () => {
    expect([...new Set(cyclePaths)].sort()).toEqual([
      "packages/aws-auth/src/cycle-a.ts",
      "packages/aws-auth/src/cycle-b.ts",
    ]);
  });
});
