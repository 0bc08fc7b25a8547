// pnpm verify [--since DURATION] [--wait DURATION] [--url URL] [--json] [--sandbox]
// Proves a deployment works after `pnpm infra:deploy`; see src/verify/README.md.
// Exit codes: 0 every check passed, 1 a check failed, 2 usage or configuration error.

import { parseVerifyArgs, VERIFY_HELP, VerifyUsageError } from "../src/verify/args";

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseVerifyArgs>;
  try {
    args = parseVerifyArgs(argv);
  } catch (error) {
    if (!(error instanceof VerifyUsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (args.help) {
    console.log(VERIFY_HELP);
    return 0;
  }
  // Loaded only now: the config pulls in the CDK constructs, which take a moment to load.
  const { InfraConfigError, loadInfraConfig, readInfraEnv } = await import("@repo/infra/config");
  const { formatDuration } = await import("../src/verify/duration");
  const { runVerify } = await import("../src/verify/index");
  const { colorsFor, renderJson, renderText, startSpinner } = await import("../src/verify/render");

  let env = readInfraEnv();
  let credentials: Parameters<typeof runVerify>[1]["credentials"];
  let config: ReturnType<typeof loadInfraConfig>;
  try {
    if (args.sandbox) {
      const { SANDBOX_CREDENTIALS, sandboxVerifyEnv } = await import(
        "../src/verify/sandbox-target"
      );
      env = await sandboxVerifyEnv(env);
      credentials = SANDBOX_CREDENTIALS;
    }
    config = loadInfraConfig(env);
  } catch (error) {
    if (!(error instanceof InfraConfigError || (error as Error).name === "NoSandboxError"))
      throw error;
    console.error((error as Error).message);
    return 2;
  }
  if (!args.json) for (const warning of config.warnings) console.error(`WARNING: ${warning}`);

  const spinner = args.json
    ? { update() {}, stop() {} }
    : startSpinner(
        process.stderr,
        `Checking stack ${config.stackName}…`,
        colorsFor(process.stderr, env),
      );
  try {
    const outcome = await runVerify(
      {
        sinceMs: args.sinceMs,
        waitMs: args.waitMs,
        url: args.url,
        waitOnlyIfHealthy: args.waitDefaulted,
      },
      {
        config,
        env,
        credentials,
        onCloudTrailProgress: (progress) =>
          spinner.update(
            `Looking for AssumeRoleWithWebIdentity in CloudTrail (up to ${formatDuration(args.waitMs)}): ${progress.lookups} lookup${progress.lookups === 1 ? "" : "s"}${progress.throttled ? `, ${progress.throttled} throttled` : ""}`,
          ),
      },
    );
    spinner.stop();
    console.log(
      args.json
        ? renderJson(outcome.report)
        : renderText(outcome, colorsFor(process.stdout, env), process.stdout.columns || 100),
    );
    return outcome.report.ok ? 0 : 1;
  } finally {
    spinner.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Every expected failure is a failing check; anything else is still one line, no stack trace.
    console.error(
      `verify stopped on an unexpected error: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  },
);
