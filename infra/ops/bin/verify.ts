// pnpm verify [--since DURATION] [--wait DURATION] [--url URL] [--json] [--sandbox] [--vercel] [--github]
// Proves a deployment works after `pnpm infra:deploy`; see src/verify/README.md.
// Exit codes: 0 every check passed, 1 a check failed, 2 usage or configuration error (the
// shared convention of @repo/infra/cli).

import { accountConfigs } from "@repo/infra/accounts";
import { colorsFor, printWarnings, runCli } from "@repo/infra/cli";
import { type InfraConfig, type InfraEnv, loadInfraConfig, readInfraEnv } from "@repo/infra/config";
import { DEFAULT_STATE_DIR, readRunningSandbox } from "@repo/sandbox/state";
import { SANDBOX_CREDENTIALS, sandboxEnv } from "../src/sandbox-target";
import { webAppNodeVersion } from "../src/setup/web-app";
import { parseVerifyArgs, VERIFY_HELP } from "../src/verify/args";
import { formatDuration } from "../src/verify/duration";
import { githubOidcReader } from "../src/verify/github-oidc";
import { runVerify } from "../src/verify/index";
import { renderJson, renderText, startSpinner } from "../src/verify/render";
import { vercelProjectReader } from "../src/verify/vercel-project";

runCli(async () => {
  const args = parseVerifyArgs(process.argv.slice(2));
  if (args.help) {
    console.log(VERIFY_HELP);
    return 0;
  }
  let env = readInfraEnv();
  let credentials: Parameters<typeof runVerify>[1]["credentials"];
  if (args.sandbox) {
    env = await sandboxEnv(env);
    credentials = SANDBOX_CREDENTIALS;
  }
  const config = loadInfraConfig(env);
  if (!args.json) printWarnings(config.warnings);
  const vercel = args.vercel
    ? { read: vercelProjectReader(config, env), nodeVersion: webAppNodeVersion() }
    : undefined;
  const github = args.github ? githubOidcReader(config, env) : undefined;

  // With KEYLESS_ACCOUNTS: one run per account, each with its profile; exit 0 only if all pass.
  const targets = accountConfigs(config);
  const reports = [];
  for (const target of targets) {
    if (config.accounts && !args.json) {
      console.log(
        `== Account ${target.account} (${target.environments.join(", ")}), profile ${target.profile ?? "from the environment"} ==`,
      );
    }
    const outcome = await verifyOne(target, env, args, credentials, { vercel, github });
    if (!args.json) {
      console.log(
        renderText(outcome, colorsFor(process.stdout, env), process.stdout.columns || 100),
      );
    }
    reports.push({ account: target.account, environments: target.environments, ...outcome.report });
  }
  if (args.json) {
    const [only] = reports;
    console.log(
      config.accounts || !only
        ? JSON.stringify(
            {
              ok: reports.every((r) => r.ok),
              accounts: reports.map(({ account, environments, ...report }) => ({
                account,
                environments,
                ...JSON.parse(renderJson(report)),
              })),
            },
            null,
            2,
          )
        : renderJson(only),
    );
  }
  const credentialsFailed = reports.some((report) =>
    report.checks.some((check) => check.name === "credentials" && !check.ok),
  );
  // Checking AWS with no credentials while a sandbox runs: most likely the sandbox was meant.
  if (credentialsFailed && !args.sandbox && (await readRunningSandbox(DEFAULT_STATE_DIR))) {
    console.error(
      "A local sandbox is running (.sandbox/state.json): `pnpm verify --sandbox` checks it instead of your AWS account.",
    );
  }
  return reports.every((report) => report.ok) ? 0 : 1;
});

async function verifyOne(
  config: InfraConfig,
  env: InfraEnv,
  args: ReturnType<typeof parseVerifyArgs>,
  credentials: Parameters<typeof runVerify>[1]["credentials"],
  { vercel, github }: Pick<Parameters<typeof runVerify>[1], "vercel" | "github">,
) {
  const spinner = args.json
    ? { update() {}, stop() {} }
    : startSpinner(
        process.stderr,
        `Checking stack ${config.stackName}…`,
        colorsFor(process.stderr, env),
      );
  try {
    return await runVerify(
      {
        sinceMs: args.sinceMs,
        waitMs: args.waitMs,
        url: args.url,
        waitOnlyIfHealthy: args.waitDefaulted,
        eventsAtOnce: args.sandbox,
      },
      {
        config,
        env,
        credentials,
        vercel,
        github,
        onCloudTrailProgress: (progress) =>
          spinner.update(
            `Looking for AssumeRoleWithWebIdentity in CloudTrail (up to ${formatDuration(args.waitMs)}): ${progress.lookups} lookup${progress.lookups === 1 ? "" : "s"}${progress.throttled ? `, ${progress.throttled} throttled` : ""}`,
          ),
      },
    );
  } finally {
    spinner.stop();
  }
}
