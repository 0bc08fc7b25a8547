// pnpm vercel:env [--apply] [--json] [--bucket NAME] [--role-arn-<environment> ARN] [--region REGION]
// Configures the Vercel project through Vercel's REST API: AWS_REGION, AWS_ROLE_ARN (per
// environment), S3_BUCKET, ENABLE_EXPERIMENTAL_COREPACK and, with a custom audience,
// VERCEL_OIDC_AUDIENCE (built-in and custom environments); the old AWS keys removed; OIDC
// federation on with the stack's issuer mode, the root directory and the Node.js version. Dry run
// unless --apply; without VERCEL_TOKEN the dry run shows what --apply would set.

import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { parseRoleArn } from "@repo/aws-auth/role-arn";
import { accountConfigs } from "@repo/infra/accounts";
import { parseCommandArgs, UsageError } from "@repo/infra/cli";
import { loadInfraConfig } from "@repo/infra/config";
import { VERCEL_ENVIRONMENTS, type VercelEnvironment } from "@repo/infra/vercel-naming";
import { SANDBOX_CREDENTIALS, sandboxEnv } from "../sandbox-target";
import { appVariablesOf, trustedStackValues } from "../stack-values";
import { type EnvironmentNames, resolveEnvironmentNames } from "./environment-names";
import {
  ENV_FILE_OPTION,
  type Environment,
  envFilePath,
  layeredEnvironment,
  type Output,
  printer,
  reportingFailures,
} from "./io";
import { readDeployedStack, StackOutputsError } from "./stack-outputs";
import { DEFAULT_VERCEL_API_URL, describeProjectRef, VercelEnvApi } from "./vercel-api";
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
import {
  desiredProjectSettings,
  formatSettingsPlan,
  planProjectSettings,
  type SettingChange,
  updateBody,
  WEB_APP_DIRECTORY,
} from "./vercel-project-plan";
import { webAppNodeVersion } from "./web-app";

export const VERCEL_ENV_USAGE = `usage: pnpm vercel:env [--apply] [--json] [--bucket NAME] [--region REGION]
                       [--role-arn-production ARN] [--role-arn-preview ARN] [--role-arn-development ARN]
                       [--env-path PATH] [--sandbox]

Configures the Vercel project for Keyless. Variables: AWS_REGION, AWS_ROLE_ARN (one per environment
in VERCEL_ENVIRONMENTS), S3_BUCKET, ENABLE_EXPERIMENTAL_COREPACK=1 (Vercel installs with the pnpm
that packageManager pins), VERCEL_OIDC_AUDIENCE when .env sets a custom audience (removed
otherwise), and each app resource's variable (infra/stack/src/app-resources.ts) per environment; deletes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,
AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>. Settings: OIDC
federation on with VERCEL_ISSUER_MODE, Root Directory ${WEB_APP_DIRECTORY}, and the Node.js version of
${WEB_APP_DIRECTORY}/package.json's engines. A custom environment (e.g. staging) must exist in the project
(Settings → Environments); its variables are set by its id. Prints the plan and changes nothing
without --apply. --json prints {"project","environments","applied","compared","steps":[{"action",
"key","target","value"?}],"settings":[{"field","from"?,"to"}]} instead (values only for what it
manages; never a deleted key's value).

Needs VERCEL_TOKEN (Vercel → Account Settings → Tokens) in the environment or .env for --apply
(without it the dry run lists what --apply would set, without comparing), and the project from
.env (VERCEL_PROJECT_ID or VERCEL_PROJECT_NAME, VERCEL_TEAM_ID or VERCEL_TEAM_SLUG; --env-path
reads another file than the repo-root .env). --sandbox rehearses it on the running local sandbox:
its stack, and its stand-in of Vercel's API (no token needed).
Values not given as flags are read from the deployed stack's own resources (CloudFormation
DescribeStackResources, with AWS_PROFILE from .env): each role in the stack's account under the
stack's generated name, and refused (exit 1) when an output names something else.`;

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
  /** Where --sandbox finds the running sandbox (tests). @default the repo's .sandbox/ */
  readonly sandboxStateDir?: string;
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
    sandbox: { type: "boolean" },
  } as const;
  const { values, help } = parseCommandArgs(argv, {
    usage: VERCEL_ENV_USAGE,
    options: { ...options, ...ENV_FILE_OPTION },
  });
  return { ...values, help };
}

export async function runVercelEnv(options: VercelEnvOptions): Promise<number> {
  const print = printer(options);
  return reportingFailures(print, () => vercelEnv(options, print));
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
  const layered = layeredEnvironment(envFile, options.environment);
  // --sandbox: the running sandbox's stack and its Vercel API stand-in, as in the real set-up.
  const env = flags.sandbox
    ? await sandboxEnv(layered, options.sandboxStateDir, "pnpm vercel:env --sandbox")
    : layered;
  const config = loadInfraConfig(env);
  // One Vercel project holds every environment's variables: planned from one account only, the
  // others' would look unwanted and be deleted.
  if (env.KEYLESS_ONLY_ACCOUNT?.trim()) {
    throw new UsageError(
      `KEYLESS_ONLY_ACCOUNT=${env.KEYLESS_ONLY_ACCOUNT.trim()} is set, but vercel:env sets every environment of the one Vercel project from every account's stack: unset it for this command.`,
    );
  }
  const token = env.VERCEL_TOKEN?.trim() ? env.VERCEL_TOKEN : undefined;
  if (token === undefined && flags.apply) {
    throw new UsageError(
      "VERCEL_TOKEN is not set. Create a token in Vercel → Account Settings → Tokens (scope: the team of the project), then `export VERCEL_TOKEN=…` and run this again. Prefer the shell over writing it into .env. (Without --apply, the dry run shows what would be set.)",
    );
  }

  const desired = {
    ...(await desiredValuesByAccount(config, flags, env, options.cloudFormation)),
    audience: config.audience === config.teamAudience ? undefined : config.audience,
  };
  const desiredSettings = desiredProjectSettings({
    issuerMode: config.issuerMode,
    nodeVersion: webAppNodeVersion(),
  });
  const projectRef = {
    idOrName: config.projectId ?? config.projectName,
    teamId: config.teamId,
    teamSlug: config.teamSlug,
  };
  if (token === undefined) {
    // Planned from the stack alone: every value as --apply would set it, nothing compared.
    const steps = planVercelEnv([], desired);
    const settings = planProjectSettings(undefined, desiredSettings);
    const where = describeProjectRef(projectRef);
    if (flags.json) {
      print.line(vercelEnvJson(where, desired.environments, steps, settings, false, false));
      return 0;
    }
    print.line(`Vercel project ${where}, environments ${desired.environments.join(", ")}:`);
    print.line(formatPlan(steps));
    print.line(formatSettingsPlan(settings));
    print.line();
    print.line(
      "No VERCEL_TOKEN: this is what --apply would set; the project was not read, so nothing was compared. Export VERCEL_TOKEN (Vercel → Account Settings → Tokens) to see the changes, then run `pnpm vercel:env --apply`.",
    );
    return 0;
  }

  const api = new VercelEnvApi({
    token,
    baseUrl: env.VERCEL_API_URL || DEFAULT_VERCEL_API_URL,
    project: projectRef,
  });
  const listed = await api.list();
  const names = await resolveEnvironmentNames(api, desired.environments, listed);
  const steps = planVercelEnv(
    listed.map((variable) => names.named(variable)),
    desired,
  );
  const project = await api.readProject();
  const settings = planProjectSettings(project.settings, desiredSettings);
  // A role for previews (or a custom environment) is reachable by anyone with a deployment's URL
  // unless the project protects its deployments.
  const exposed = desired.environments.filter((environment) => environment !== "production");
  if (exposed.length > 0 && !project.protection.sso && !project.protection.password) {
    print.error(
      `WARNING: Deployment Protection is off for ${api.describeProject()}: anyone with the URL of a ${exposed.join(" or ")} deployment can use it, and through it that environment's role. Turn on Vercel Authentication in the project's Settings → Deployment Protection.`,
    );
  }
  const changes = planChangesSomething(steps) || settings.length > 0;
  if (flags.json) {
    const apply = flags.apply === true && changes;
    if (apply) await applyAll(api, names, steps, settings, () => {});
    print.line(
      vercelEnvJson(api.describeProject(), desired.environments, steps, settings, apply, true),
    );
    return 0;
  }

  print.line(
    `Vercel project ${api.describeProject()}, environments ${desired.environments.join(", ")}:`,
  );
  print.line(formatPlan(steps));
  print.line(formatSettingsPlan(settings));
  print.line();
  if (!changes) {
    print.line("The project already has these values and settings; nothing to change.");
    return 0;
  }
  if (!flags.apply) {
    print.line(
      "Dry run: nothing was changed. Run `pnpm vercel:env --apply` to make these changes.",
    );
    return 0;
  }
  await applyAll(api, names, steps, settings, print.line);
  print.line();
  print.line(
    "Done. Variables and settings apply to new deployments only: redeploy (`vercel deploy --prod`, or Deployments → Redeploy), then run `pnpm verify`.",
  );
  return 0;
}

async function applyAll(
  api: VercelEnvApi,
  names: EnvironmentNames,
  steps: readonly PlanStep[],
  settings: readonly SettingChange[],
  log: (line: string) => void,
) {
  await applyPlan(api, names, steps, log);
  if (settings.length === 0) return;
  await api.updateProject(updateBody(settings));
  for (const change of settings) log(`  set ${change.label}: ${change.to}`);
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
  const appVariables: Partial<Record<VercelEnvironment, Readonly<Record<string, string>>>> = {};
  for (const scoped of accountConfigs(config)) {
    const desired = await desiredValues(scoped, flags, env, clientFor(scoped.account));
    for (const environment of scoped.environments) {
      const variables = desired.appVariables?.[environment];
      if (variables) appVariables[environment] = variables;
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
    appVariables,
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
  let appVariables: DesiredVercelEnv["appVariables"];
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
        // --sandbox: its placeholder keys (the SDK's default chain reads only the process's own).
        ...(flags.sandbox ? { credentials: SANDBOX_CREDENTIALS.value } : {}),
      });
    const deployed = await readDeployedStack(cloudFormation, config.stackName, config.region);
    const trusted = trustedStackValues({
      stackName: config.stackName,
      stackId: deployed.stackId,
      environments: config.environments,
      resources: deployed.resources,
      outputs: deployed.outputs,
    });
    if (trusted.problems.length > 0) {
      throw new StackOutputsError(
        `Stack ${config.stackName} in ${config.region}: ${trusted.problems.join("; ")}`,
      );
    }
    bucket ??= trusted.bucket;
    appVariables = appVariablesOf(trusted.appResources);
    for (const environment of config.environments) {
      roleArns[environment] ??= trusted.roleArns[environment];
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
    ...(appVariables ? { appVariables } : {}),
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
