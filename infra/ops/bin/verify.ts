// pnpm verify [--since DURATION] [--wait DURATION] [--url URL] [--json] [--sandbox]
// Proves a deployment works after `pnpm infra:deploy`; see src/verify/README.md.
// Exit codes: 0 every check passed, 1 a check failed, 2 usage or configuration error (the
// shared convention of @repo/infra/cli).

import { colorsFor, printWarnings, runCli } from "@repo/infra/cli";
import { loadInfraConfig, readInfraEnv } from "@repo/infra/config";
import { parseVerifyArgs, VERIFY_HELP } from "../src/verify/args";
import { formatDuration } from "../src/verify/duration";
import { runVerify } from "../src/verify/index";
import { renderJson, renderText, startSpinner } from "../src/verify/render";
import { SANDBOX_CREDENTIALS, sandboxVerifyEnv } from "../src/verify/sandbox-target";

runCli(async () => {
  const args = parseVerifyArgs(process.argv.slice(2));
  if (args.help) {
    console.log(VERIFY_HELP);
    return 0;
  }
  let env = readInfraEnv();
  let credentials: Parameters<typeof runVerify>[1]["credentials"];
  if (args.sandbox) {
    env = await sandboxVerifyEnv(env);
    credentials = SANDBOX_CREDENTIALS;
  }
  const config = loadInfraConfig(env);
  if (!args.json) printWarnings(config.warnings);

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
});
