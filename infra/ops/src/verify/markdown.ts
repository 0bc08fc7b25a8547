// verify's report as Markdown, for a CI job summary ($GITHUB_STEP_SUMMARY): the checks and the
// CloudTrail events, the same facts as the terminal table. Pipes and newlines are escaped so a
// detail cannot break the table. A public repository's summaries are public: `public` leaves out
// the account id (in ARNs and details) and the callers' source IPs.

import type { VerifyReport } from "./types";

const cell = (value: string | null | undefined) =>
  (value ?? "").replaceAll("|", "\\|").replaceAll(/\r?\n/g, " ");

const ACCOUNT_ID = /(?<!\d)\d{12}(?!\d)/g;

export function verifyMarkdown(report: VerifyReport, options: { public?: boolean } = {}): string {
  const shown = (value: string | null | undefined) =>
    options.public ? cell(value).replaceAll(ACCOUNT_ID, "<account>") : cell(value);
  const ip = (value: string | null | undefined) => (options.public ? "(hidden)" : cell(value));
  const lines = [
    `### pnpm verify: ${report.ok ? "✅ every check passed" : "❌ a check failed"}`,
    "",
    "| check | result | detail |",
    "| --- | --- | --- |",
    ...report.checks.map((c) => `| ${c.name} | ${c.ok ? "ok" : "FAILED"} | ${shown(c.detail)} |`),
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
          `| ${cell(e.time)} | ${shown(e.roleArn?.split("/").pop())} | ${shown(e.sessionName)} | ${shown(e.subject)} | ${ip(e.sourceIp)} | ${cell(e.errorCode ?? "ok")} |`,
      ),
    );
  }
  if (options.public) {
    lines.push("", "_Public repository: account ids and source IPs are left out of this summary._");
  }
  return `${lines.join("\n")}\n`;
}
