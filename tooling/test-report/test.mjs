// `pnpm test` (after lint): turbo runs every workspace's typecheck, test, test:copy and e2e, showing
// only the output of tasks that fail; then each failing test with its assertion comes first, one
// line per workspace follows, and a total closes. The counts come from the JSON reports the test
// runners write to each workspace's .reports/ (turbo restores them on a cache hit).
// Plain Node and no dependencies: it runs before anything else is needed.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TASKS = ["typecheck", "test", "test:copy", "e2e"];
const REPORTS = { test: "test.json", "test:copy": "test-copy.json", e2e: "e2e.json" };

/** Every workspace folder (the globs of pnpm-workspace.yaml, which are one level deep or exact). */
function workspaces() {
  const globs = readFileSync(join(ROOT, "pnpm-workspace.yaml"), "utf8")
    .split("\n")
    .map((line) => /^\s+-\s+["']?([^"'\s]+)["']?/.exec(line)?.[1])
    .filter(Boolean);
  const dirs = new Set();
  for (const glob of globs) {
    if (!glob.endsWith("/*")) dirs.add(glob);
    else {
      const parent = glob.slice(0, -2);
      for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.add(`${parent}/${entry.name}`);
      }
    }
  }
  return [...dirs]
    .filter((dir) => existsSync(join(ROOT, dir, "package.json")))
    .map((dir) => ({ dir, name: JSON.parse(readFileSync(join(ROOT, dir, "package.json"))).name }));
}

const plain = (text) => stripVTControlCharacters(String(text ?? ""));
const firstLines = (text, n = 4) =>
  plain(text)
    .split("\n")
    .filter((line) => line.trim())
    .slice(0, n)
    .map((line) => `    ${line.trim()}`)
    .join("\n");

/** Vitest's JSON report: counts and the failing tests with their first assertion message. */
function readVitest(report) {
  const failures = [];
  for (const file of report.testResults ?? []) {
    const path = file.name.slice(ROOT.length);
    for (const test of file.assertionResults ?? []) {
      if (test.status === "failed") {
        failures.push({ title: `${path} › ${test.fullName}`, detail: test.failureMessages?.[0] });
      }
    }
    // A file that failed before its tests ran (an import or a hook) has no failed test to show.
    if (file.status === "failed" && !file.assertionResults?.some((t) => t.status === "failed")) {
      failures.push({ title: path, detail: file.message });
    }
  }
  return { passed: report.numPassedTests ?? 0, failed: report.numFailedTests ?? 0, failures };
}

/** Playwright's JSON report, walked through its nested suites. */
function readPlaywright(report) {
  const failures = [];
  const walk = (suite, trail) => {
    for (const spec of suite.specs ?? []) {
      if (spec.ok) continue;
      const result = spec.tests?.flatMap((test) => test.results ?? []).find((r) => r.error);
      failures.push({
        title: [...trail, spec.title].filter(Boolean).join(" › "),
        detail: result?.error?.message,
      });
    }
    for (const child of suite.suites ?? []) walk(child, [...trail, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.file ?? suite.title]);
  for (const error of report.errors ?? []) failures.push({ title: "setup", detail: error.message });
  const stats = report.stats ?? {};
  return {
    passed: (stats.expected ?? 0) + (stats.flaky ?? 0),
    failed: (stats.unexpected ?? 0) + (report.errors?.length ?? 0),
    failures,
  };
}

const all = workspaces();
for (const { dir } of all) {
  for (const file of Object.values(REPORTS))
    rmSync(join(ROOT, dir, ".reports", file), { force: true });
}

// Two tasks per core at most: every task is CPU-bound (builds, tests, servers it starts), and ten
// at once on a 2-core machine spend a quarter of their CPU on contention. Measured on 2 cores,
// fresh clone: 231 s with turbo's default of 10 → 205 s; 405 → 364 CPU-seconds.
// Turbo cannot be told which task to start first, and it started the longest one (the Vercel
// path's browser tests: four `vercel build`s) after most others, so the run ended with one task
// on an idle machine. That workspace gets a turbo run of its own, from the start, beside the rest.
// A run given extra arguments (a filter, --force…) is one turbo run, as typed.
// A copy that removed that workspace runs everything in one turbo run.
const HEAD_START = "@repo/vercel-local";
const extra = process.argv.slice(2);
const runs =
  extra.length > 0
    ? [["--concurrency=200%", ...extra]]
    : all.some((workspace) => workspace.name === HEAD_START)
      ? [
          [`--filter=${HEAD_START}`, "--concurrency=1"],
          [`--filter=!${HEAD_START}`, "--concurrency=150%"],
        ]
      : [["--concurrency=150%"]];
const exits = await Promise.all(
  runs.map((args) => {
    const turbo = spawn(
      join(ROOT, "node_modules/.bin/turbo"),
      ["run", ...TASKS, "--output-logs=errors-only", ...args],
      { cwd: ROOT, stdio: "inherit" },
    );
    return new Promise((resolve) => turbo.once("exit", (status) => resolve(status ?? 1)));
  }),
);
const code = exits.find((status) => status !== 0) ?? 0;

const rows = [];
const failures = [];
for (const { dir, name } of all) {
  const parts = [];
  let passed = 0;
  let failed = 0;
  for (const [task, file] of Object.entries(REPORTS)) {
    const path = join(ROOT, dir, ".reports", file);
    if (!existsSync(path)) continue;
    const report = JSON.parse(readFileSync(path, "utf8"));
    const counts = task === "e2e" ? readPlaywright(report) : readVitest(report);
    passed += counts.passed;
    failed += counts.failed;
    parts.push(`${task} ${counts.passed}${counts.failed ? ` (${counts.failed} failed)` : ""}`);
    for (const failure of counts.failures) failures.push({ ...failure, where: `${name} ${task}` });
  }
  if (parts.length) rows.push({ name, passed, failed, parts });
}

for (const failure of failures) {
  console.log(`\nFAILED ${failure.where}: ${failure.title}`);
  if (failure.detail) console.log(firstLines(failure.detail));
}
console.log("");
const width = Math.max(...rows.map((row) => row.name.length));
for (const row of rows) {
  const verdict = row.failed
    ? `${row.failed} failed, ${row.passed} passed`
    : `${row.passed} passed`;
  console.log(`${row.name.padEnd(width)}  ${verdict.padEnd(22)} ${row.parts.join(" · ")}`);
}
const total = rows.reduce((sum, row) => sum + row.passed, 0);
const totalFailed = rows.reduce((sum, row) => sum + row.failed, 0);
console.log(`total: ${total} passed, ${totalFailed} failed (${rows.length} workspaces)`);
if (code !== 0 && totalFailed === 0) {
  console.log(
    "A task failed outside the tests (typecheck, or a run that never reported): see above.",
  );
}
process.exitCode = code;
