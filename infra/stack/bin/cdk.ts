// pnpm infra:synth | infra:deploy | infra:diff | infra:destroy — runs the aws-cdk CLI with the
// repo-root .env applied (so AWS_PROFILE / AWS_REGION / AWS_ENDPOINT_URL set there reach it),
// after checking the configuration and saying what the command is about to do.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { accountConfigs, parseAccounts, TARGET_ACCOUNT_VARIABLE } from "../src/accounts";
import { CommandFailure, printWarnings, runCli, usageError } from "../src/cli";
import {
  type InfraConfig,
  InfraConfigError,
  type InfraEnv,
  loadInfraConfig,
  readInfraEnv,
} from "../src/config";
import { checkDeployCredentials } from "../src/deploy-credentials";
import { deploymentFacts } from "../src/deployment-facts";
import { describeTrust } from "../src/trust/describe";

const COMMANDS = ["synth", "deploy", "diff", "destroy"] as const;
const INFRA_DIR = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `usage: pnpm cdk:<${COMMANDS.join("|")}> [cdk options]

From the repo root: pnpm infra:synth | infra:deploy | infra:diff | infra:destroy. Checks the
configuration (the root .env under the environment), says what the command is about to do, then
runs the aws-cdk CLI with that environment; options after the command go to the CDK CLI.

pnpm infra:deploy --sandbox rehearses the deploy on the running local sandbox (\`pnpm sandbox\`):
the same trust and permissions printed, checked against the stack the sandbox deployed.`;

runCli(async () => {
  const [name, ...rest] = process.argv.slice(2);
  if (name === "--help" || name === "-h") {
    console.log(USAGE);
    return 0;
  }
  const command = COMMANDS.find((c) => c === name);
  if (!command) {
    throw usageError(`unknown command "${name ?? ""}"`, USAGE);
  }
  const env = readInfraEnv();
  const config = loadInfraConfig(env);
  printWarnings(config.warnings);
  if (rest.includes("--sandbox")) {
    if (command !== "deploy") throw usageError("--sandbox goes with infra:deploy only", USAGE);
    return deployToSandbox(config);
  }

  if (command === "deploy") {
    // A stack deployed by the workflow without its deploy role would delete the role mid-run.
    if (env.GITHUB_ACTIONS === "true" && !config.github) {
      throw new InfraConfigError([
        {
          variable: "KEYLESS_GITHUB_REPOSITORY",
          message:
            "missing while deploying from GitHub Actions: this deploy would remove the deploy role it runs as. Set the repository variable KEYLESS_GITHUB_REPOSITORY (owner/repo) as in the one-time local deploy.",
        },
      ]);
    }
  }
  const targets = accountConfigs(config);
  if (env.GITHUB_ACTIONS === "true" && config.accounts) checkWorkflowAccounts(env, config, targets);
  for (const target of targets) {
    if (config.accounts) {
      console.log(
        `== Account ${target.account} (${target.environments.join(", ")}), profile ${target.profile ?? "from the environment"} ==`,
      );
    }
    if (command !== "synth") {
      const credentials = await checkDeployCredentials({
        region: target.region,
        profile: target.profile ?? env.AWS_PROFILE,
        endpoint: env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL,
      });
      if (!credentials.ok) throw new CommandFailure(credentials.line);
    }
    if (command === "deploy") console.log(`${await trustAndPermissions(target)}\n`);
    if (command === "destroy") console.log(destroyNotice(target));
    const status = runCdk(command, rest, env, target);
    // A failed account stops the run: the next one would deploy half a migration.
    if (status !== 0) return status;
  }
  return 0;
});

/**
 * With separate accounts the deploy workflow runs one job per deploy role, each narrowed to its
 * role's account: every account of KEYLESS_ACCOUNTS needs a role in AWS_DEPLOY_ROLE_ARNS (or it
 * would silently never be deployed), the job must name its account, and no profile is named.
 */
function checkWorkflowAccounts(env: InfraEnv, config: InfraConfig, targets: InfraConfig[]): void {
  // The whole KEYLESS_ACCOUNTS (config.accounts is narrowed to this job's account).
  const parsed = parseAccounts(env.KEYLESS_ACCOUNTS ?? "", config.environments);
  const all = "targets" in parsed ? parsed.targets : [];
  const accounts = all.map((target) => target.account);
  let roles: unknown;
  try {
    roles = JSON.parse(env.AWS_DEPLOY_ROLE_ARNS ?? "");
  } catch {
    roles = undefined;
  }
  const covered = Array.isArray(roles)
    ? roles.map((arn) => String(arn).split(":")[4] ?? "")
    : undefined;
  const missing = accounts.filter((account) => !covered?.includes(account));
  const problem = !covered
    ? "must be a JSON list of every account's deploy role ARN (the GithubDeployRoleArn output of each account's stack) when KEYLESS_ACCOUNTS is set: one workflow job per account"
    : missing.length > 0
      ? `has no deploy role for account ${missing.join(", ")} of KEYLESS_ACCOUNTS: add each account's GithubDeployRoleArn output to the JSON list`
      : !env.KEYLESS_ONLY_ACCOUNT?.trim()
        ? "is set, but this job names no account: the deploy workflow's first step sets KEYLESS_ONLY_ACCOUNT from the job's role ARN; keep that step"
        : undefined;
  if (problem) throw new InfraConfigError([{ variable: "AWS_DEPLOY_ROLE_ARNS", message: problem }]);
  // Each job has its account's credentials from its role: a profile named by KEYLESS_ACCOUNTS
  // does not exist there, and the CDK CLI would stop on it.
  const profiled = targets.find((target) => target.profile);
  if (profiled) {
    throw new InfraConfigError([
      {
        variable: "KEYLESS_ACCOUNTS",
        message: `names profile "${profiled.profile}" (account ${profiled.account}), which a GitHub Actions job does not have. Leave the profiles out of the repository variable: ${all.flatMap((target) => target.environments.map((environment) => `${environment}:${target.account}`)).join(",")}`,
      },
    ]);
  }
}

/** What the deploy creates, with each role's permissions read from the template it deploys. */
async function trustAndPermissions(config: InfraConfig): Promise<string> {
  // aws-cdk-lib loads only for a deploy: the other commands and every error above answer at once.
  const [{ synthesizeKeylessTemplate }, { roleLogicalId }] = await Promise.all([
    import("../src/synth"),
    import("../src/keyless-stack"),
  ]);
  return describeTrust(config, synthesizeKeylessTemplate(config), roleLogicalId);
}

/**
 * Where `pnpm sandbox` says it runs: its documented state file, in `.sandbox/` at the repo root or
 * KEYLESS_SANDBOX_DIR (the sandbox's own rule, infra/sandbox/src/state.ts; the stack may not load
 * the sandbox, which depends on it).
 */
const SANDBOX_STATE = resolve(
  INFRA_DIR,
  "..",
  "..",
  process.env.KEYLESS_SANDBOX_DIR?.trim() || ".sandbox",
  "state.json",
);

/**
 * `pnpm infra:deploy --sandbox`: moto takes no `cdk deploy` (it drops change sets' outputs), so
 * the sandbox deploys the stack itself when it starts, from the same .env. This prints what a
 * deploy prints, then asks the running sandbox whether its stack follows from this configuration:
 * yes, it is deployed; no, the lines that differ and the restart that deploys them.
 */
async function deployToSandbox(config: InfraConfig): Promise<number> {
  let state: { pid?: number; endpoint?: string } | undefined;
  try {
    state = JSON.parse(readFileSync(SANDBOX_STATE, "utf8"));
  } catch {
    state = undefined;
  }
  const alive = (pid: number | undefined) => {
    try {
      return pid !== undefined && process.kill(pid, 0);
    } catch {
      return false;
    }
  };
  if (!state?.endpoint || !alive(state.pid)) {
    throw new CommandFailure(
      "--sandbox: no sandbox is running. Start one with `pnpm sandbox` in another terminal, then run `pnpm infra:deploy --sandbox` again.",
    );
  }
  console.log(`${await trustAndPermissions(config)}
`);
  let answer: { stackName?: string; differences?: string[]; error?: string };
  try {
    const response = await fetch(`${state.endpoint}/_sandbox/deployment`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ facts: deploymentFacts(config) }),
      signal: AbortSignal.timeout(10_000),
    });
    answer = (await response.json()) as typeof answer;
  } catch (error) {
    throw new CommandFailure(
      `--sandbox: the sandbox at ${state.endpoint} did not answer (${(error as Error).message}); restart it with \`pnpm sandbox\`.`,
    );
  }
  if (answer.error || !answer.differences) {
    throw new CommandFailure(
      `--sandbox: the sandbox refused the check: ${answer.error ?? "no answer"}`,
    );
  }
  if (answer.differences.length > 0) {
    throw new CommandFailure(
      `--sandbox: the sandbox's stack ${answer.stackName} follows the .env it started with, not this one (${answer.differences.join("; ")}). Stop \`pnpm sandbox\` (Ctrl-C) and start it again: it deploys this configuration.`,
    );
  }
  console.log(
    `Deployed on the sandbox: stack ${answer.stackName} follows this configuration (\`pnpm sandbox\` deployed it into its moto when it started).`,
  );
  return 0;
}

function destroyNotice(config: InfraConfig): string {
  return [
    `Destroying stack ${config.stackName} in ${config.region}.`,
    "The app bucket and its access-log bucket are RETAINED (RemovalPolicy.RETAIN): their data",
    "stays, and they keep costing storage. Empty and delete them in the S3 console when you no",
    "longer need them. The roles go; the OIDC provider goes only if this stack created it.\n",
  ].join("\n");
}

/** One aws-cdk CLI run for one account's stack (with KEYLESS_ACCOUNTS: its profile, its outdir). */
function runCdk(
  command: (typeof COMMANDS)[number],
  rest: readonly string[],
  env: InfraEnv,
  target: InfraConfig,
): number {
  const perAccount = target.account
    ? {
        [TARGET_ACCOUNT_VARIABLE]: target.account,
        ...(target.profile ? { AWS_PROFILE: target.profile } : {}),
      }
    : {};
  // cdk synth writes cdk.out (one folder per account); --quiet keeps the template off the terminal.
  const output = target.account ? ["--output", `cdk.out/${target.account}`] : [];
  const args =
    command === "synth" ? ["synth", "--quiet", ...output, ...rest] : [command, ...output, ...rest];
  // Synth needs no credentials; without this the CLI spends seconds probing EC2 instance metadata.
  const childEnv = {
    ...(command === "synth" ? { AWS_EC2_METADATA_DISABLED: "true" } : {}),
    ...env,
    ...perAccount,
  };
  // This workspace's own aws-cdk CLI, whatever PATH the caller has.
  const cdkBin = join(INFRA_DIR, "node_modules", ".bin", "cdk");
  const result = spawnSync(cdkBin, args, { cwd: INFRA_DIR, env: childEnv, stdio: "inherit" });
  if (result.error) {
    throw new CommandFailure(
      `Could not run the aws-cdk CLI (${result.error.message}); run pnpm install so infra/stack/node_modules/.bin/cdk exists.`,
    );
  }
  return result.status ?? 1;
}
