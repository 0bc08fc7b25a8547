// pnpm vercel:env [--apply] [--json] [--bucket NAME] [--role-arn-<environment> ARN] [--region REGION]
// Sets AWS_REGION, AWS_ROLE_ARN (per environment), S3_BUCKET and, with a custom audience,
// VERCEL_OIDC_AUDIENCE on the Vercel project (built-in and custom environments) and removes the old
// AWS keys, through Vercel's REST API. Dry run unless --apply.

import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { parseRoleArn } from "@repo/aws-auth/role-arn";
import { accountConfigs } from "@repo/infra/accounts";
import {
  CommandFailure,
  isUsageProblem,
  parseCommandArgs,
  reportError,
  UsageError,
} from "@repo/infra/cli";
import { loadInfraConfig } from "@repo/infra/config";
import { VERCEL_ENVIRONMENTS, type VercelEnvironment } from "@repo/infra/vercel-naming";
import { type EnvironmentNames, resolveEnvironmentNames } from "./environment-names";
import {
  ENV_FILE_OPTION,
  type Environment,
  envFilePath,
  layeredEnvironment,
  type Output,
  printer,
} from "./io";
import { readStackOutputs, StackOutputsError, stackOutputKey } from "./stack-outputs";
import { DEFAULT_VERCEL_API_URL, VercelEnvApi } from "./vercel-api";
import { vercelEnvJson } from "./vercel-env-json";
import {
  applicationOrder,
  type DesiredVercelEnv,
  formatPlan,
  MANAGED_TYPE,
  type PlanStep,
  planChangesSomething,
  planVercelEnv,
} from "./vercel-env-plan";

export const VERCEL_ENV_USAGE = `usage: pnpm vercel:env [--apply] [--json] [--bucket NAME] [--region REGION]
                       [--role-arn-production ARN] [--role-arn-preview ARN] [--role-arn-development ARN]
                       [--env-path PATH]

Sets AWS_REGION, AWS_ROLE_ARN (one per environment in VERCEL_ENVIRONMENTS) and S3_BUCKET on the
Vercel project, and VERCEL_OIDC_AUDIENCE when .env sets a custom audience (removed otherwise);
deletes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,
AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>. A custom environment (e.g. staging) must exist in the project
(Settings → Environments); its variables are set by its id. Prints the plan and changes nothing
without --apply. --json prints {"project","environments","applied","steps":[{"action","key",
"target","value"?}]} instead (values only for the variables it manages; never a deleted key's value).

Needs VERCEL_TOKEN (Vercel → Account Settings → Tokens) in the environment or .env, and the
project from .env (VERCEL_PROJECT_ID or VERCEL_PROJECT_NAME, VERCEL_TEAM_ID or VERCEL_TEAM_SLUG;
--env-path reads another file than the repo-root .env).
Values not given as flags are read from the deployed stack's outputs (CloudFormation
DescribeStacks, with AWS_PROFILE from .env).`;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface VercelEnvOptions extends Output {
  readonly argv: readonly string[];
  readonly environment: Environment;
  /**
   * Injected by tests (with KEYLESS_ACCOUNTS: one per account id); defaults to a client for the
   * stack's region with the account's profile (AWS_PROFILE).
   */
  readonly cloudFormation?:
    | CloudFormationClient
    | ((account: string | undefined) => CloudFormationClient);
}

function parseVercelEnvArgs(argv: readonly string[]) {
  const options = {
    apply: { type: "boolean" },
    json: { type: "boolean" },
    bucket: { type: "string" },
    region: { type: "string" },
    "role-arn-production": { type: "string" },
    "role-arn-preview": { type: "string" },
    "role-arn-development": { type: "string" },
  } as const;
  const { values, help } = parseCommandArgs(argv, {
    usage: VERCEL_ENV_USAGE,
    options: { ...options, ...ENV_FILE_OPTION },
  });
  return { ...values, help };
}

export async function runVercelEnv(options: VercelEnvOptions): Promise<number> {
  const print = printer(options);
  try {
    return await vercelEnv(options, print);
  } catch (error) {
    if (isUsageProblem(error) || error instanceof CommandFailure) {
      return reportError(error, print.error);
    }
    throw error;
  }
}

async function vercelEnv(
  options: VercelEnvOptions,
  print: ReturnType<typeof printer>,
): Promise<number> {
  const flags = parseVercelEnvArgs(options.argv);
  if (flags.help) {
    print.line(VERCEL_ENV_USAGE);
    return 0;
  }
  const envFile = envFilePath(flags["env-path"], options.environment);
  const env = layeredEnvironment(envFile, options.environment);
  const config = loadInfraConfig(env);
  // One Vercel project holds every environment's variables: planned from one account only, the
  // others' would look unwanted and be deleted.
  if (env.KEYLESS_ONLY_ACCOUNT?.trim()) {
    throw new UsageError(
      `KEYLESS_ONLY_ACCOUNT=${env.KEYLESS_ONLY_ACCOUNT.trim()} is set, but vercel:env sets every environment of the one Vercel project from every account's stack: unset it for this command.`,
    );
  }
  const token = env.VERCEL_TOKEN;
  if (token === undefined || token.trim() === "") {
    throw new UsageError(
      "VERCEL_TOKEN is not set. Create a token in Vercel → Account Settings → Tokens (scope: the team of the project), then `export VERCEL_TOKEN=…` and run this again. Prefer the shell over writing it into .env.",
    );
  }

  const desired = {
    ...(await desiredValuesByAccount(config, flags, env, options.cloudFormation)),
    audience: config.audience === config.teamAudience ? undefined : config.audience,
  };
  const api = new VercelEnvApi({
    token,
    baseUrl: env.VERCEL_API_URL || DEFAULT_VERCEL_API_URL,
    project: {
      idOrName: config.projectId ?? config.projectName,
      teamId: config.teamId,
      teamSlug: config.teamSlug,
    },
  });
  const listed = await api.list();
  const names = await resolveEnvironmentNames(api, desired.environments, listed);
  const steps = planVercelEnv(
    listed.map((variable) => names.named(variable)),
    desired,
  );
  // A role for previews (or a custom environment) is reachable by anyone with a deployment's URL
  // unless the project protects its deployments.
  const exposed = desired.environments.filter((environment) => environment !== "production");
  if (exposed.length > 0) {
    const protection = await api.protection();
    if (!protection.sso && !protection.password) {
      print.error(
        `WARNING: Deployment Protection is off for ${api.describeProject()}: anyone with the URL of a ${exposed.join(" or ")} deployment can use it, and through it that environment's role. Turn on Vercel Authentication in the project's Settings → Deployment Protection.`,
      );
    }
  }
  if (flags.json) {
    const apply = flags.apply === true && planChangesSomething(steps);
    if (apply) await applyPlan(api, names, steps, () => {});
    print.line(vercelEnvJson(api.describeProject(), desired.environments, steps, apply));
    return 0;
  }

  print.line(
    `Vercel project ${api.describeProject()}, environments ${desired.environments.join(", ")}:`,
  );
  print.line(formatPlan(steps));
  print.line();
  if (!planChangesSomething(steps)) {
    print.line("The project already has these values; nothing to change.");
    return 0;
  }
  if (!flags.apply) {
    print.line(
      "Dry run: nothing was changed. Run `pnpm vercel:env --apply` to make these changes.",
    );
    return 0;
  }
  await applyPlan(api, names, steps, print.line);
  print.line();
  print.line(
    "Done. Variables apply to new deployments only: redeploy (`vercel deploy --prod`, or Deployments → Redeploy), then run `pnpm verify`.",
  );
  return 0;
}

/**
 * With KEYLESS_ACCOUNTS each account's stack gives its own environments' roles and bucket, read
 * with that account's profile; each role ARN must be in its environment's account.
 */
async function desiredValuesByAccount(
  config: ReturnType<typeof loadInfraConfig>,
  flags: ReturnType<typeof parseVercelEnvArgs>,
  env: Environment,
  injected: VercelEnvOptions["cloudFormation"],
): Promise<DesiredVercelEnv> {
  const clientFor = (account: string | undefined) =>
    typeof injected === "function" ? injected(account) : injected;
  if (!config.accounts) return desiredValues(config, flags, env, clientFor(undefined));
  if (flags.bucket !== undefined) {
    throw new UsageError(
      "--bucket names one bucket, but KEYLESS_ACCOUNTS gives each account its own: leave it out (each bucket is read from its account's stack).",
    );
  }
  const roleArns: Partial<Record<VercelEnvironment, string>> = {};
  const buckets: Partial<Record<VercelEnvironment, string>> = {};
  for (const scoped of accountConfigs(config)) {
    const desired = await desiredValues(scoped, flags, env, clientFor(scoped.account));
    for (const environment of scoped.environments) {
      const arn = desired.roleArns[environment] ?? "";
      const parsed = parseRoleArn(arn);
      if (parsed.ok && parsed.arn.accountId !== scoped.account) {
        throw new UsageError(
          `The role ARN for ${environment} (${arn}) is in account ${parsed.arn.accountId}, but KEYLESS_ACCOUNTS puts ${environment} in ${scoped.account}.`,
        );
      }
      roleArns[environment] = arn;
      buckets[environment] = desired.bucket;
    }
  }
  return {
    environments: config.environments,
    region: flags.region ?? config.region,
    bucket: buckets[config.environments[0] ?? "production"] ?? "",
    buckets,
    roleArns,
  };
}

async function desiredValues(
  config: ReturnType<typeof loadInfraConfig>,
  flags: ReturnType<typeof parseVercelEnvArgs>,
  env: Environment,
  injected: CloudFormationClient | undefined,
): Promise<DesiredVercelEnv> {
  const roleArns: Partial<Record<VercelEnvironment, string>> = {};
  for (const environment of VERCEL_ENVIRONMENTS) {
    const flag = flags[`role-arn-${environment}`];
    if (flag === undefined) continue;
    if (!config.environments.includes(environment)) {
      throw new UsageError(
        `--role-arn-${environment} given, but VERCEL_ENVIRONMENTS (${config.environments.join(",")}) has no ${environment}: the stack makes no role for it.`,
      );
    }
    roleArns[environment] = flag;
  }
  let bucket = flags.bucket;
  const needsStack =
    bucket === undefined || config.environments.some((environment) => !roleArns[environment]);
  if (needsStack) {
    const cloudFormation =
      injected ??
      new CloudFormationClient({
        region: config.region,
        // With KEYLESS_ACCOUNTS, the account's own profile (accountConfigs).
        profile: config.profile,
        endpoint: env.AWS_ENDPOINT_URL_CLOUDFORMATION || env.AWS_ENDPOINT_URL || undefined,
      });
    const outputs = await readStackOutputs(cloudFormation, config.stackName, config.region);
    bucket ??= outputs[stackOutputKey.bucket];
    for (const environment of config.environments) {
      roleArns[environment] ??= outputs[stackOutputKey.roleArn(environment)];
    }
    const missing = [
      ...(bucket === undefined ? [stackOutputKey.bucket] : []),
      ...config.environments
        .filter((environment) => roleArns[environment] === undefined)
        .map(stackOutputKey.roleArn),
    ];
    if (missing.length > 0) {
      throw new StackOutputsError(
        `Stack ${config.stackName} in ${config.region} has no output ${missing.join(", ")}. Deploy the current configuration first (pnpm infra:deploy), or pass the values as flags.`,
      );
    }
  }
  for (const environment of config.environments) {
    const arn = roleArns[environment] ?? "";
    const parsed = parseRoleArn(arn);
    if (!parsed.ok) {
      throw new UsageError(
        `The role ARN for ${environment} ("${arn}") is not an IAM role ARN: ${parsed.problem} (arn:aws:iam::<12-digit account>:role/<name>).`,
      );
    }
  }
  if (!BUCKET.test(bucket ?? "")) {
    throw new UsageError(
      `"${bucket}" is not an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens).`,
    );
  }
  return {
    environments: config.environments,
    region: flags.region ?? config.region,
    bucket: bucket ?? "",
    roleArns,
  };
}

async function applyPlan(
  api: VercelEnvApi,
  names: EnvironmentNames,
  steps: readonly PlanStep[],
  log: (line: string) => void,
) {
  const creates: PlanStep[] = [];
  for (const step of applicationOrder(steps)) {
    switch (step.action) {
      case "delete":
        await api.remove(step.id);
        log(`  deleted ${step.key} [${step.target.join(", ")}]`);
        break;
      case "narrow":
        // Both fields, as the scope is replaced: custom environments stay by their ids.
        await api.edit(step.id, names.scope(step.remaining));
        log(`  narrowed ${step.key} to [${step.remaining.join(", ")}]`);
        break;
      case "update":
        await api.edit(step.id, { value: step.value, type: MANAGED_TYPE });
        log(`  updated ${step.key} [${step.target.join(", ")}]`);
        break;
      case "create":
        creates.push(step);
        break;
      default:
        break;
    }
  }
  // One request for all new variables: the API takes an array. customEnvironmentIds only when
  // there are some, as Vercel's CLI sends it.
  await api.create(
    creates.flatMap((step) => {
      if (step.action !== "create") return [];
      const { target, customEnvironmentIds } = names.scope(step.target);
      return [
        {
          key: step.key,
          value: step.value,
          type: MANAGED_TYPE,
          target,
          ...(customEnvironmentIds.length > 0 ? { customEnvironmentIds } : {}),
        },
      ];
    }),
  );
  for (const step of creates) {
    if (step.action === "create") log(`  created ${step.key} [${step.target.join(", ")}]`);
  }
}
