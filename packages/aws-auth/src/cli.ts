import { formatDoctorReport, runDoctor, runPreflight } from "./doctor";

const HELP = `aws-auth — which AWS credentials this app uses, and whether they work

Usage:
  aws-auth doctor [--json]   Mode and why, findings with fixes, the token's claims (never the
                             token), then STS GetCallerIdentity. Exit 1 when something is wrong.
  aws-auth preflight         For "prebuild" on Vercel: assumes the role with the build's OIDC token
                             and prints the assumed role. Fails production builds on error.
                             KEYLESS_PREFLIGHT=strict|warn|off changes that. No-op off Vercel.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const unknown = rest.filter((a) => a !== "--json");
  if (command === "--help" || command === "-h" || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (unknown.length) {
    process.stderr.write(`aws-auth: unknown option ${unknown.join(" ")}\n\n${HELP}`);
    return 2;
  }
  if (command === "doctor") {
    const report = await runDoctor();
    process.stdout.write(
      rest.includes("--json")
        ? `${JSON.stringify(report, null, 2)}\n`
        : `${formatDoctorReport(report)}\n`,
    );
    // An empty configuration is explained, not an error; a finding of severity error or a failed
    // identity call is.
    const failed =
      report.error !== undefined || report.findings.some((f) => f.severity === "error");
    return failed ? 1 : 0;
  }
  if (command === "preflight") {
    const result = await runPreflight();
    for (const line of result.lines) process.stdout.write(`${line}\n`);
    return result.exitCode;
  }
  process.stderr.write(`aws-auth: unknown command "${command}"\n\n${HELP}`);
  return 2;
}
