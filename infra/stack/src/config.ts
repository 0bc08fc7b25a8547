// Infra configuration: the one `.env` the user edits (repo root) under the process environment,
// validated variable by variable. Each validator is exported on its own so the setup wizard can
// check an answer the moment it is typed. Loads no aws-cdk-lib (the naming rules are pure), so
// the sandbox, setup, verify and trust:check read the configuration without paying for the CDK.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { type AccountTarget, ONLY_ACCOUNT_VARIABLE, onlyAccount, parseAccounts } from "./accounts";
import {
  GITHUB_SUBJECT_FORMS,
  type GithubDeployTarget,
  type GithubSubjectForm,
  githubBranchProblem,
  githubEnvironmentProblem,
  githubProviderArnProblem,
  githubRepositoryProblem,
  githubStackNameProblem,
  githubSubject,
} from "./github-naming";
import {
  customAudienceProblem,
  environmentNameProblem,
  environmentSuffix,
  parseProviderArn,
  projectNameProblem,
  providerArnProblem,
  teamSlugProblem,
  VERCEL_ISSUER_MODES,
  type VercelEnvironment,
  type VercelIssuer,
  type VercelIssuerMode,
  vercelIssuer,
  vercelSubject,
} from "./vercel-naming";

/** The repo-root `.env`, found from this file so it works from any working directory. */
export const ENV_FILE = fileURLToPath(new URL("../../../.env", import.meta.url));

export type InfraEnv = Readonly<Record<string, string | undefined>>;

/** The repo-root `.env` under the process environment (the process environment wins). */
export function readInfraEnv(envFile = ENV_FILE, environment: InfraEnv = process.env): InfraEnv {
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  return { ...fromFile, ...environment };
}

export const DEFAULT_STACK_NAME = "KeylessVercelOidc";

export interface ConfigProblem {
  /** The variable to fix, e.g. VERCEL_TEAM_SLUG. */
  readonly variable: string;
  readonly message: string;
}

export type Validated<T> =
  | { readonly ok: true; readonly value: T; readonly warning?: string }
  | { readonly ok: false; readonly problem: ConfigProblem };

/** Every problem found in the configuration at once, so the user fixes them in one pass. */
export class InfraConfigError extends Error {
  override readonly name = "InfraConfigError";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      [
        `The infra configuration has ${problems.length === 1 ? "a problem" : `${problems.length} problems`} (set these in ${ENV_FILE} or the environment):`,
        ...problems.map((p) => `  - ${p.variable}: ${p.message}`),
      ].join("\n"),
    );
    this.problems = problems;
  }
}

export interface InfraConfig extends VercelIssuer {
  readonly projectName: string;
  readonly teamId?: string;
  readonly projectId?: string;
  readonly environments: readonly VercelEnvironment[];
  readonly existingProviderArn?: string;
  readonly region: string;
  readonly profile?: string;
  readonly stackName: string;
  /** Production's domains (host names) for the bucket's CORS; unset = `<project>.vercel.app`. */
  readonly productionDomains?: readonly string[];
  /** The GitHub Actions deploy role, when KEYLESS_GITHUB_REPOSITORY is set. */
  readonly github?: GithubDeployConfig;
  /** One stack per account (KEYLESS_ACCOUNTS); unset = one stack in the credentials' account. */
  readonly accounts?: readonly AccountTarget[];
  /** The account this configuration's stack is pinned to (set by `accountConfigs`). */
  readonly account?: string;
  /** The exact `sub` each trusted environment's role accepts. */
  readonly subjects: Readonly<Partial<Record<VercelEnvironment, string>>>;
  readonly warnings: readonly string[];
}

export interface GithubDeployConfig {
  /** owner/repo (or owner@id/repo@id), exactly as GitHub writes it in `sub`. */
  readonly repository: string;
  readonly target: GithubDeployTarget;
  /** Which `sub` GitHub writes for the repository (KEYLESS_GITHUB_SUBJECT). */
  readonly subjectForm: GithubSubjectForm;
  /** The one `sub` the deploy role accepts. */
  readonly subject: string;
  readonly existingProviderArn?: string;
}

const ok = <T>(value: T, warning?: string): Validated<T> => ({ ok: true, value, warning });
const fail = (variable: string, message: string): Validated<never> => ({
  ok: false,
  problem: { variable, message },
});
const blank = (raw: string | undefined): raw is undefined => raw === undefined || raw.trim() === "";

export function validateTeamSlug(raw: string | undefined): Validated<string> {
  if (blank(raw)) {
    return fail(
      "VERCEL_TEAM_SLUG",
      "missing. In Vercel: Team Settings → General → Team URL, the part after vercel.com/ (e.g. acme). .env.example leaves it empty on purpose: the roles trust whatever team this names, so it must be yours.",
    );
  }
  const problem = teamSlugProblem(raw.trim());
  return problem ? fail("VERCEL_TEAM_SLUG", problem) : ok(raw.trim());
}

export function validateProjectName(raw: string | undefined): Validated<string> {
  if (blank(raw)) {
    return fail(
      "VERCEL_PROJECT_NAME",
      "missing. In Vercel: open the project → Settings → General → Project Name (e.g. web). .env.example leaves it empty on purpose: the roles trust whatever project this names.",
    );
  }
  const problem = projectNameProblem(raw.trim());
  return problem ? fail("VERCEL_PROJECT_NAME", problem) : ok(raw.trim());
}

export function validateTeamId(raw: string | undefined): Validated<string | undefined> {
  if (blank(raw)) return ok(undefined);
  const value = raw.trim();
  return /^team_[A-Za-z0-9]+$/.test(value)
    ? ok(value)
    : fail(
        "VERCEL_TEAM_ID",
        `"${value}" is not a team id (team_…; Team Settings → General → Team ID). Optional: it only tags the roles.`,
      );
}

export function validateProjectId(raw: string | undefined): Validated<string | undefined> {
  if (blank(raw)) return ok(undefined);
  const value = raw.trim();
  return /^prj_[A-Za-z0-9]+$/.test(value)
    ? ok(value)
    : fail(
        "VERCEL_PROJECT_ID",
        `"${value}" is not a project id (prj_…; Project → Settings → General → Project ID). Optional: it only tags the roles.`,
      );
}

const DEVELOPMENT_WARNING =
  "VERCEL_ENVIRONMENTS includes development: development tokens come from `vercel env pull` on " +
  "any team member's machine, so everyone who can pull this project's env can assume that role " +
  "from a laptop. Give it no more than a developer may do.";

export function validateEnvironments(
  raw: string | undefined,
): Validated<readonly VercelEnvironment[]> {
  if (blank(raw)) return ok(["production"]);
  const items = raw.split(",").map((item) => item.trim());
  const environments: VercelEnvironment[] = [];
  for (const item of items) {
    if (item === "") {
      return fail("VERCEL_ENVIRONMENTS", `"${raw}" has an empty item; use e.g. production,preview`);
    }
    const problem = environmentNameProblem(item);
    if (problem) return fail("VERCEL_ENVIRONMENTS", problem);
    if (environments.includes(item)) {
      return fail("VERCEL_ENVIRONMENTS", `"${item}" is listed twice`);
    }
    // Logical ids drop the hyphens: qa-1 and qa1 would both make VercelRoleQa1.
    const twin = environments.find((e) => environmentSuffix(e) === environmentSuffix(item));
    if (twin) {
      return fail(
        "VERCEL_ENVIRONMENTS",
        `"${twin}" and "${item}" give the same role name (${environmentSuffix(item)}); keep one`,
      );
    }
    environments.push(item);
  }
  return ok(environments, environments.includes("development") ? DEVELOPMENT_WARNING : undefined);
}

export function validateIssuerMode(raw: string | undefined): Validated<VercelIssuerMode> {
  if (blank(raw)) return ok("team");
  const mode = VERCEL_ISSUER_MODES.find((m) => m === raw.trim());
  return mode
    ? ok(mode)
    : fail(
        "VERCEL_ISSUER_MODE",
        `"${raw}" must be "team" (issuer https://oidc.vercel.com/<team-slug>, the default) or "global" (https://oidc.vercel.com), as set in Vercel → Project → Settings → Security → OIDC Federation`,
      );
}

/** VERCEL_OIDC_AUDIENCE: unset keeps the team audience; needs the slug and mode to judge it. */
export function validateAudience(
  raw: string | undefined,
  issuer?: { teamSlug: string; issuerMode: VercelIssuerMode },
): Validated<string | undefined> {
  if (blank(raw)) return ok(undefined);
  const value = raw.trim();
  const problem = issuer ? customAudienceProblem(value, issuer) : undefined;
  return problem
    ? fail(
        "VERCEL_OIDC_AUDIENCE",
        `${problem}. Set the same VERCEL_OIDC_AUDIENCE in the Vercel project, or leave it unset for the team audience.`,
      )
    : ok(value);
}

/** Needs the issuer: an existing provider is only usable if its URL is the issuer's. */
export function validateProviderArn(
  raw: string | undefined,
  issuer?: VercelIssuer,
): Validated<string | undefined> {
  if (blank(raw)) return ok(undefined);
  const value = raw.trim();
  if (!issuer) {
    return parseProviderArn(value)
      ? ok(value)
      : fail(
          "OIDC_PROVIDER_ARN",
          `"${value}" is not an OIDC provider ARN (arn:aws:iam::<12-digit account>:oidc-provider/oidc.vercel.com/<team-slug>)`,
        );
  }
  const problem = providerArnProblem(value, issuer);
  return problem
    ? fail("OIDC_PROVIDER_ARN", `${problem}. Leave it empty to create one.`)
    : ok(value);
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function validateRegion(raw: string | undefined): Validated<string> {
  if (blank(raw)) {
    return fail("AWS_REGION", "missing. The region for the bucket and roles, e.g. us-east-1.");
  }
  const value = raw.trim();
  return REGION.test(value)
    ? ok(value)
    : fail("AWS_REGION", `"${value}" is not an AWS region name (like us-east-1 or eu-west-2)`);
}

export function validateProfile(raw: string | undefined): Validated<string | undefined> {
  if (blank(raw)) return ok(undefined);
  const value = raw.trim();
  return /^\S+$/.test(value)
    ? ok(value)
    : fail(
        "AWS_PROFILE",
        `"${value}" has white space; use the name in [profile <name>] of ~/.aws/config`,
      );
}

export function validateStackName(raw: string | undefined): Validated<string> {
  if (blank(raw)) return ok(DEFAULT_STACK_NAME);
  const value = raw.trim();
  return /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value)
    ? ok(value)
    : fail(
        "KEYLESS_STACK_NAME",
        `"${value}" is not a CloudFormation stack name (a letter, then letters, digits, hyphens; ≤128)`,
      );
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Host names only: CORS must name production's origins exactly, so no scheme, path or `*`. */
export function validateProductionDomains(
  raw: string | undefined,
): Validated<readonly string[] | undefined> {
  if (blank(raw)) return ok(undefined);
  const domains = raw.split(",").map((item) => item.trim().toLowerCase());
  const bad = domains.find((domain) => !DOMAIN.test(domain));
  return bad === undefined
    ? ok(domains)
    : fail(
        "VERCEL_PRODUCTION_DOMAINS",
        `"${bad}" is not a host name; list production's domains exactly, comma-separated (e.g. web.example.com,web.vercel.app), without https:// or wildcards`,
      );
}

/**
 * The deploy role for GitHub Actions (opt-in: KEYLESS_GITHUB_REPOSITORY). It trusts one `sub`: the
 * deploy workflow (.github/workflows/deploy.yml) run from KEYLESS_GITHUB_DEPLOY_BRANCH (default
 * main), in the GitHub environment KEYLESS_GITHUB_DEPLOY_ENVIRONMENT when set — once the repository's
 * `sub` is customized to name the workflow (`pnpm github:oidc --apply`). KEYLESS_GITHUB_SUBJECT=default
 * keeps GitHub's default `sub` instead, which names only the branch or the environment.
 * Not GITHUB_*: every Actions runner sets GITHUB_REPOSITORY itself (always owner/repo, even where
 * the token's `sub` uses owner@id/repo@id), and GitHub refuses variables named GITHUB_*.
 */
export function validateGithubDeploy(env: InfraEnv): Validated<GithubDeployConfig | undefined> {
  const others = [
    "KEYLESS_GITHUB_DEPLOY_BRANCH",
    "KEYLESS_GITHUB_DEPLOY_ENVIRONMENT",
    "KEYLESS_GITHUB_OIDC_PROVIDER_ARN",
    "KEYLESS_GITHUB_SUBJECT",
  ];
  if (blank(env.KEYLESS_GITHUB_REPOSITORY)) {
    const stray = others.find((name) => !blank(env[name]));
    return stray
      ? fail(
          "KEYLESS_GITHUB_REPOSITORY",
          `missing, but ${stray} is set: name the repository whose workflow deploys (owner/repo), or unset ${stray}`,
        )
      : ok(undefined);
  }
  const repository = env.KEYLESS_GITHUB_REPOSITORY.trim();
  const repositoryProblem = githubRepositoryProblem(repository);
  if (repositoryProblem) return fail("KEYLESS_GITHUB_REPOSITORY", repositoryProblem);
  const branch = blank(env.KEYLESS_GITHUB_DEPLOY_BRANCH)
    ? "main"
    : env.KEYLESS_GITHUB_DEPLOY_BRANCH.trim();
  const branchProblem = githubBranchProblem(branch);
  if (branchProblem) return fail("KEYLESS_GITHUB_DEPLOY_BRANCH", branchProblem);
  let target: GithubDeployTarget = { branch };
  if (!blank(env.KEYLESS_GITHUB_DEPLOY_ENVIRONMENT)) {
    const environment = env.KEYLESS_GITHUB_DEPLOY_ENVIRONMENT.trim();
    const problem = githubEnvironmentProblem(environment);
    if (problem) return fail("KEYLESS_GITHUB_DEPLOY_ENVIRONMENT", problem);
    target = { branch, environment };
  }
  const subjectForm = (env.KEYLESS_GITHUB_SUBJECT?.trim() || "workflow") as GithubSubjectForm;
  if (!GITHUB_SUBJECT_FORMS.includes(subjectForm)) {
    return fail(
      "KEYLESS_GITHUB_SUBJECT",
      `"${subjectForm}" is not a subject form: workflow (the default: only deploy.yml on the deploy branch; run \`pnpm github:oidc --apply\` once) or default (GitHub's own sub: any workflow on the branch)`,
    );
  }
  let existingProviderArn: string | undefined;
  if (!blank(env.KEYLESS_GITHUB_OIDC_PROVIDER_ARN)) {
    existingProviderArn = env.KEYLESS_GITHUB_OIDC_PROVIDER_ARN.trim();
    const problem = githubProviderArnProblem(existingProviderArn);
    if (problem) {
      return fail("KEYLESS_GITHUB_OIDC_PROVIDER_ARN", `${problem}. Leave it empty to create one.`);
    }
  }
  return ok({
    repository,
    target,
    subjectForm,
    subject: githubSubject(repository, target, subjectForm),
    existingProviderArn,
  });
}

/**
 * KEYLESS_ACCOUNTS, e.g. production:111111111111:prod-profile,preview:222222222222:dev-profile:
 * each environment's account (and the profile that deploys it). Needs the environments.
 */
export function validateAccounts(
  raw: string | undefined,
  environments: readonly VercelEnvironment[] | undefined,
): Validated<readonly AccountTarget[] | undefined> {
  if (blank(raw) || environments === undefined) return ok(undefined);
  const parsed = parseAccounts(raw.trim(), environments);
  return "problem" in parsed ? fail("KEYLESS_ACCOUNTS", parsed.problem) : ok(parsed.targets);
}

/** KEYLESS_ONLY_ACCOUNT: one account of KEYLESS_ACCOUNTS (see onlyAccount). */
export function validateOnlyAccount(
  raw: string | undefined,
  accounts: readonly AccountTarget[] | undefined,
): Validated<readonly AccountTarget[] | undefined> {
  if (blank(raw)) return ok(accounts);
  const narrowed = onlyAccount(raw.trim(), accounts);
  return "problem" in narrowed
    ? fail(ONLY_ACCOUNT_VARIABLE, narrowed.problem)
    : ok(narrowed.targets);
}

/** Loads and validates everything; throws InfraConfigError listing every problem. */
export function loadInfraConfig(env: InfraEnv = readInfraEnv()): InfraConfig {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const take = <T>(result: Validated<T>): T | undefined => {
    if (!result.ok) {
      problems.push(result.problem);
      return undefined;
    }
    if (result.warning) warnings.push(result.warning);
    return result.value;
  };

  const teamSlug = take(validateTeamSlug(env.VERCEL_TEAM_SLUG));
  const projectName = take(validateProjectName(env.VERCEL_PROJECT_NAME));
  const teamId = take(validateTeamId(env.VERCEL_TEAM_ID));
  const projectId = take(validateProjectId(env.VERCEL_PROJECT_ID));
  const environments = take(validateEnvironments(env.VERCEL_ENVIRONMENTS));
  const issuerMode = take(validateIssuerMode(env.VERCEL_ISSUER_MODE));
  const audienceResult = validateAudience(
    env.VERCEL_OIDC_AUDIENCE,
    teamSlug !== undefined && issuerMode !== undefined ? { teamSlug, issuerMode } : undefined,
  );
  const audience = take(audienceResult);
  const issuer =
    teamSlug !== undefined && issuerMode !== undefined && audienceResult.ok
      ? vercelIssuer({ teamSlug, issuerMode, audience })
      : undefined;
  const existingProviderArn = take(validateProviderArn(env.OIDC_PROVIDER_ARN, issuer));
  const region = take(validateRegion(env.AWS_REGION));
  const profile = take(validateProfile(env.AWS_PROFILE));
  const stackName = take(validateStackName(env.KEYLESS_STACK_NAME));
  const productionDomains = take(validateProductionDomains(env.VERCEL_PRODUCTION_DOMAINS));
  const github = take(validateGithubDeploy(env));
  const stackNameProblem =
    github && stackName !== undefined && environments !== undefined
      ? githubStackNameProblem(stackName, environments)
      : undefined;
  if (stackNameProblem)
    problems.push({ variable: "KEYLESS_STACK_NAME", message: stackNameProblem });
  const accounts = take(validateAccounts(env.KEYLESS_ACCOUNTS, environments));
  const providerAccount = existingProviderArn && parseProviderArn(existingProviderArn)?.account;
  if (accounts && providerAccount && !accounts.some((a) => a.account === providerAccount)) {
    problems.push({
      variable: "OIDC_PROVIDER_ARN",
      message: `the provider is in account ${providerAccount}, which KEYLESS_ACCOUNTS does not name: a provider serves only its own account's roles. Leave it empty, or name that account`,
    });
  }
  // After the provider check, which is about the whole configuration; not checked against a
  // KEYLESS_ACCOUNTS that has a problem of its own (that one is already reported).
  const accountsFailed = !blank(env.KEYLESS_ACCOUNTS) && accounts === undefined;
  const targetAccounts = accountsFailed
    ? undefined
    : take(validateOnlyAccount(env.KEYLESS_ONLY_ACCOUNT, accounts));

  if (
    problems.length > 0 ||
    !issuer ||
    projectName === undefined ||
    environments === undefined ||
    region === undefined ||
    stackName === undefined
  ) {
    throw new InfraConfigError(problems);
  }
  if (existingProviderArn && audience) {
    // The stack cannot change a provider it did not create: its client ids stay as they are.
    warnings.push(
      `VERCEL_OIDC_AUDIENCE=${audience} with an existing provider (OIDC_PROVIDER_ARN): add the audience to it once, \`aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${existingProviderArn} --client-id ${audience}\`, or STS answers "Incorrect token audience".`,
    );
  }
  const subjects: Partial<Record<VercelEnvironment, string>> = {};
  for (const environment of environments) {
    subjects[environment] = vercelSubject(issuer.teamSlug, projectName, environment);
  }
  return {
    ...issuer,
    projectName,
    teamId,
    projectId,
    environments,
    existingProviderArn,
    region,
    profile,
    stackName,
    productionDomains,
    github,
    accounts: targetAccounts,
    subjects,
    warnings,
  };
}
