import { formatDoctorReport, runDoctor, runPreflight, SeveralAppsError } from "./doctor";

const HELP = `aws-auth — which AWS credentials this app uses, and whether they work

Usage:
  aws-auth doctor [--json] [--app DIR]
                             Mode and why, findings with fixes, the token's claims (never the
                             token), then STS GetCallerIdentity. Exit 1 when something is wrong.
                             Diagnoses the app of this folder — from a workspace root, the one
                             app under apps/ that uses this package (--app names one) — with the
                             .env files that app reads.
  aws-auth preflight         For "prebuild" on Vercel: assumes the role with the build's OIDC token
                             and prints the assumed role. Fails production builds on error.
                             KEYLESS_PREFLIGHT=strict|warn|off changes that. No-op off Vercel.
`;

// The Keyless command-line convention (the same as the repo's other commands, kept here so this
// package stays copyable alone): --help → usage on stdout, exit 0; a usage mistake → one line on
// stderr, exit 2; a failure → exit 1. Nothing here prints colour.
const USAGE_LINE =
  "usage: aws-auth doctor [--json] [--app DIR] | aws-auth preflight (--help for more)";

function usageError(problem: string): number {
  process.stderr.write(`aws-auth: ${problem} — ${USAGE_LINE}\n`);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === undefined) return usageError("no command given");
  const allowed = command === "doctor" ? ["--json", "--app"] : [];
  const appAt = rest.indexOf("--app");
  const app = appAt >= 0 ? rest[appAt + 1] : undefined;
  if (appAt >= 0 && (app === undefined || app.startsWith("--"))) {
    return usageError("--app needs the app's folder, e.g. --app apps/web");
  }
  const unknown = rest.filter((a, i) => !allowed.includes(a) && !(appAt >= 0 && i === appAt + 1));
  if (unknown.length) return usageError(`unknown option ${unknown.join(" ")}`);
  if (command === "doctor") {
    let report: Awaited<ReturnType<typeof runDoctor>>;
    try {
      report = await runDoctor(process.env, { app });
    } catch (error) {
      if (error instanceof SeveralAppsError) return usageError(error.message);
      throw error;
    }
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
  return usageError(`unknown command "${command}"`);
}
