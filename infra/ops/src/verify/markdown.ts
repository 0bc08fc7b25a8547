// verify's report as Markdown, for a CI job summary ($GITHUB_STEP_SUMMARY): the checks and the
// CloudTrail events, the same facts as the terminal table. Pipes and newlines are escaped so a
// detail cannot break the table.

import type { VerifyReport } from "./types";

const cell = (value: string | null | undefined) =>
  (value ?? "").replaceAll("|", "\\|").replaceAll(/\r?\n/g, " ");

export function verifyMarkdown(report: VerifyReport): string {
  const lines = [
    `### pnpm verify: ${report.ok ? "✅ every check passed" : "❌ a check failed"}`,
    "",
    "| check | result | detail |",
    "| --- | --- | --- |",
    ...report.checks.map((c) => `| ${c.name} | ${c.ok ? "ok" : "FAILED"} | ${cell(c.detail)} |`),
  ];
  if (report.events.length > 0) {
    lines.push(
      "",
      "#### AssumeRoleWithWebIdentity events (newest first)",
      "",
      "| time | role | session | subject | source IP | result |",
      "| --- | --- | --- | --- | --- | --- |",
      ...report.events.map(
        (e) =>
          `| ${cell(e.time)} | ${cell(e.roleArn?.split("/").pop())} | ${cell(e.sessionName)} | ${cell(e.subject)} | ${cell(e.sourceIp)} | ${cell(e.errorCode ?? "ok")} |`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}
