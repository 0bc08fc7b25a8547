// pnpm verify:summary FILE — prints `pnpm verify --json`'s report (FILE) as Markdown for a CI job
// summary. Exit 2 when FILE is not such a report.

import { readFileSync } from "node:fs";
import { runCli, usageError } from "@repo/infra/cli";
import { verifyMarkdown } from "../src/verify/markdown";
import type { VerifyReport } from "../src/verify/types";

const USAGE =
  "usage: pnpm verify:summary [--public] FILE   (FILE: the output of pnpm verify --json; --public leaves out account ids and source IPs)";

runCli(() => {
  const args = process.argv.slice(2);
  const isPublic = args.includes("--public");
  const [file] = args.filter((arg) => arg !== "--public");
  if (file === "--help" || file === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (!file) throw usageError("missing FILE", USAGE);
  let report: VerifyReport;
  try {
    report = JSON.parse(readFileSync(file, "utf8")) as VerifyReport;
  } catch (error) {
    throw usageError(`${file} is not readable JSON (${(error as Error).message})`, USAGE);
  }
  if (!Array.isArray(report?.checks) || !Array.isArray(report?.events)) {
    throw usageError(`${file} is not a pnpm verify --json report`, USAGE);
  }
  process.stdout.write(verifyMarkdown(report, { public: isPublic }));
  return 0;
});
