// Separate AWS accounts per environment (KEYLESS_ACCOUNTS): production in one account,
// preview/development in another, one stack per account from one configuration. Pure (no CDK):
// the configuration validates it, and `accountConfigs` narrows the one configuration to what each
// account's stack holds, so synth, deploy, vercel:env and verify treat each account like today's
// single stack.

import { parseProviderArn, type VercelEnvironment } from "./vercel-naming";

/** One account's stack: its environments, and the profile the CDK CLI deploys it with. */
export interface AccountTarget {
  /** The 12-digit AWS account id. */
  readonly account: string;
  /** A named profile of ~/.aws/config; unset = AWS_PROFILE. */
  readonly profile?: string;
  readonly environments: readonly VercelEnvironment[];
}

/** Set by `pnpm infra:*` for each CDK CLI run: the account whose stack bin/app.ts builds. */
export const TARGET_ACCOUNT_VARIABLE = "KEYLESS_TARGET_ACCOUNT";

const ACCOUNT_ID = /^\d{12}$/;
const PROFILE = /^[\w+=,.@:/-]+$/;
const EXAMPLE = "production:111111111111:prod-profile,preview:222222222222:dev-profile";

/**
 * Parses `environment:account[:profile]` entries, comma-separated, into one target per account
 * (in order of first mention). Every environment of `environments` must be mapped, none twice;
 * one account has one profile. Returns the problem, one line, or the targets.
 */
export function parseAccounts(
  raw: string,
  environments: readonly VercelEnvironment[],
): { targets: AccountTarget[] } | { problem: string } {
  const byAccount = new Map<string, { profile?: string; environments: VercelEnvironment[] }>();
  const mapped = new Set<string>();
  for (const entry of raw.split(",").map((item) => item.trim())) {
    const [environment = "", account = "", profile, ...extra] = entry.split(":");
    if (entry === "" || account === "" || extra.length > 0 || profile === "") {
      return {
        problem: `"${entry}" is not environment:account-id[:profile]; e.g. ${EXAMPLE}`,
      };
    }
    if (!environments.includes(environment)) {
      return {
        problem: `"${environment}" is not in VERCEL_ENVIRONMENTS (${environments.join(",")}); map exactly those environments`,
      };
    }
    if (!ACCOUNT_ID.test(account)) {
      return {
        problem: `"${account}" (for ${environment}) is not an AWS account id: 12 digits, as in the console's account menu or \`aws sts get-caller-identity\``,
      };
    }
    if (profile !== undefined && !PROFILE.test(profile)) {
      return { problem: `"${profile}" is not a profile name of ~/.aws/config` };
    }
    if (mapped.has(environment)) return { problem: `"${environment}" is mapped twice` };
    mapped.add(environment);
    const target = byAccount.get(account) ?? { profile, environments: [] };
    if (target.profile !== profile) {
      return {
        problem: `account ${account} is given two profiles (${target.profile ?? "none"}, ${profile ?? "none"}); one stack per account is deployed with one profile`,
      };
    }
    target.environments.push(environment);
    byAccount.set(account, target);
  }
  const unmapped = environments.filter((environment) => !mapped.has(environment));
  if (unmapped.length > 0) {
    return {
      problem: `${unmapped.join(", ")} ${unmapped.length === 1 ? "has" : "have"} no account; map every environment of VERCEL_ENVIRONMENTS, e.g. ${EXAMPLE}`,
    };
  }
  return {
    targets: [...byAccount].map(([account, target]) => ({
      account,
      ...(target.profile ? { profile: target.profile } : {}),
      // VERCEL_ENVIRONMENTS' order, whatever the order of the entries.
      environments: environments.filter((e) => target.environments.includes(e)),
    })),
  };
}

/** Names the one account of KEYLESS_ACCOUNTS a run works on (a CI job per account). */
export const ONLY_ACCOUNT_VARIABLE = "KEYLESS_ONLY_ACCOUNT";

/**
 * KEYLESS_ONLY_ACCOUNT narrows the targets to one account: the deploy workflow runs one job per
 * account, each with that account's deploy role, so each job deploys and verifies its own stack
 * only. Returns the problem, one line, or the narrowed targets.
 */
export function onlyAccount(
  raw: string,
  targets: readonly AccountTarget[] | undefined,
): { targets: AccountTarget[] } | { problem: string } {
  if (!targets) {
    return {
      problem: `"${raw}" needs KEYLESS_ACCOUNTS: it picks one of its accounts. Set KEYLESS_ACCOUNTS, or leave ${ONLY_ACCOUNT_VARIABLE} empty`,
    };
  }
  const named = targets.map((target) => target.account).join(", ");
  if (!ACCOUNT_ID.test(raw)) {
    return { problem: `"${raw}" is not an AWS account id (12 digits); use one of ${named}` };
  }
  const target = targets.find((candidate) => candidate.account === raw);
  if (!target) return { problem: `account ${raw} is not in KEYLESS_ACCOUNTS; use one of ${named}` };
  return { targets: [target] };
}

/** What one account's stack needs of the configuration (every InfraConfig satisfies it). */
export interface AccountScoped {
  readonly environments: readonly VercelEnvironment[];
  readonly subjects: Readonly<Partial<Record<VercelEnvironment, string>>>;
  readonly profile?: string;
  readonly existingProviderArn?: string;
  readonly accounts?: readonly AccountTarget[];
  readonly account?: string;
}

/**
 * The configuration of each account's stack: its environments and subjects, its profile, and the
 * existing provider only where OIDC_PROVIDER_ARN names that account (each other account gets a
 * provider of its own: a provider serves only its own account's roles). Without KEYLESS_ACCOUNTS,
 * the configuration itself.
 */
export function accountConfigs<T extends AccountScoped>(config: T): T[] {
  if (!config.accounts) return [config];
  return config.accounts.map((target) => {
    const subjects: Partial<Record<VercelEnvironment, string>> = {};
    for (const environment of target.environments) {
      subjects[environment] = config.subjects[environment];
    }
    const providerAccount = config.existingProviderArn
      ? parseProviderArn(config.existingProviderArn)?.account
      : undefined;
    return {
      ...config,
      account: target.account,
      profile: target.profile ?? config.profile,
      environments: target.environments,
      subjects,
      existingProviderArn:
        providerAccount === target.account ? config.existingProviderArn : undefined,
    };
  });
}
