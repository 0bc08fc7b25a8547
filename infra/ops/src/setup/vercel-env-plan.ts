// What `pnpm vercel:env` changes on the Vercel project, decided from the variables it has now: the
// seed's "Configure Vercel environment variables" (AWS_REGION, AWS_ROLE_ARN per environment,
// S3_BUCKET, and VERCEL_OIDC_AUDIENCE when the stack requires a custom audience) and "Remove old
// credentials". Pure: the plan is printed in a dry run and applied unchanged with --apply. It speaks
// environment names throughout, custom environments (`staging`) included; environment-names.ts
// turns them into what Vercel's API takes.

import {
  isStandardEnvironment,
  VERCEL_ENVIRONMENTS,
  type VercelEnvironment,
} from "@repo/infra/vercel-naming";

/** Removed wherever they are set: on Vercel the credential switch never uses static keys or a
 * profile, and a hand-set token file breaks the OIDC flow. */
export const OLD_VERCEL_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
] as const;

/** AWS_ENDPOINT_URL and every AWS_ENDPOINT_URL_<SERVICE>: on Vercel they only send data away. */
export function isEndpointOverride(key: string): boolean {
  return /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(key);
}

export const MANAGED_VARIABLES = [
  "AWS_REGION",
  "AWS_ROLE_ARN",
  "S3_BUCKET",
  "VERCEL_OIDC_AUDIENCE",
  "ENABLE_EXPERIMENTAL_COREPACK",
] as const;
export type ManagedVariable = (typeof MANAGED_VARIABLES)[number];

/** A project environment variable as the Vercel API lists it, its environments by name. */
export interface VercelEnvVar {
  readonly id: string;
  readonly key: string;
  readonly type: string;
  /** Readable only for type "plain"; never printed for the old keys. */
  readonly value?: string;
  /** Built-in environments and custom ones by slug (by id when the project does not list it). */
  readonly target: readonly VercelEnvironment[];
  readonly gitBranch?: string;
}

export interface DesiredVercelEnv {
  readonly environments: readonly VercelEnvironment[];
  readonly region: string;
  readonly bucket: string;
  /** Each environment's bucket where they differ (KEYLESS_ACCOUNTS: one per account). */
  readonly buckets?: Readonly<Partial<Record<VercelEnvironment, string>>>;
  readonly roleArns: Readonly<Partial<Record<VercelEnvironment, string>>>;
  /**
   * VERCEL_OIDC_AUDIENCE for every environment when the stack requires a custom audience; when it
   * does not (undefined), the variable is removed from the configured environments: the roles then
   * accept only the team audience, and an app exchanging its token for another one would get
   * "Incorrect token audience" from STS.
   */
  readonly audience?: string;
  /**
   * The app's own resources' variables, each environment's (NOTES_TABLE → its table's name): set
   * like the managed ones. A variable no longer declared is left as it is.
   */
  readonly appVariables?: Readonly<
    Partial<Record<VercelEnvironment, Readonly<Record<string, string>>>>
  >;
}

export type PlanStep =
  | {
      readonly action: "create";
      readonly key: string;
      readonly value: string;
      readonly target: VercelEnvironment[];
    }
  | {
      readonly action: "update";
      readonly id: string;
      readonly key: string;
      readonly value: string;
      readonly target: readonly VercelEnvironment[];
      readonly was?: string;
    }
  | {
      readonly action: "keep";
      readonly id: string;
      readonly key: string;
      readonly value: string;
      readonly target: readonly VercelEnvironment[];
    }
  | {
      readonly action: "narrow";
      readonly id: string;
      readonly key: string;
      readonly target: readonly VercelEnvironment[];
      readonly remaining: VercelEnvironment[];
    }
  | {
      readonly action: "delete";
      readonly id: string;
      readonly key: string;
      readonly target: readonly VercelEnvironment[];
      readonly reason: string;
    }
  | {
      readonly action: "skip";
      readonly id: string;
      readonly key: string;
      readonly target: readonly VercelEnvironment[];
      readonly reason: string;
    };

/** Plain: these are configuration, not secrets, and a readable value lets a re-run see that
 * nothing changed. */
export const MANAGED_TYPE = "plain";

/** The built-in environments in Vercel's order, then custom ones as given. */
const ordered = (environments: Iterable<VercelEnvironment>): VercelEnvironment[] => {
  const set = new Set(environments);
  return [
    ...VERCEL_ENVIRONMENTS.filter((environment) => set.has(environment)),
    ...[...set].filter((environment) => !isStandardEnvironment(environment)),
  ];
};

const sameSet = (a: readonly VercelEnvironment[], b: readonly VercelEnvironment[]) =>
  a.length === b.length && a.every((item) => b.includes(item));

/** The app resources' variables, sorted: planned after the managed ones. */
const appVariableKeys = (desired: DesiredVercelEnv): string[] =>
  [
    ...new Set(
      Object.values(desired.appVariables ?? {}).flatMap((variables) =>
        Object.keys(variables ?? {}),
      ),
    ),
  ].sort();

function desiredValue(
  desired: DesiredVercelEnv,
  key: string,
  environment: VercelEnvironment,
): string | undefined {
  switch (key) {
    case "AWS_REGION":
      return desired.region;
    case "S3_BUCKET":
      return desired.buckets?.[environment] ?? desired.bucket;
    case "AWS_ROLE_ARN":
      return desired.roleArns[environment];
    case "VERCEL_OIDC_AUDIENCE":
      return desired.audience;
    case "ENABLE_EXPERIMENTAL_COREPACK":
      // Vercel's build uses the pnpm of packageManager only with Corepack switched on.
      return "1";
    default:
      return desired.appVariables?.[environment]?.[key];
  }
}

/** Why VERCEL_OIDC_AUDIENCE goes when the stack keeps the team audience. */
const AUDIENCE_UNSET =
  "no VERCEL_OIDC_AUDIENCE in .env: the roles accept only the team audience, so STS would refuse the exchanged token (Incorrect token audience)";

/** key → the environments that should share one value, as one Vercel variable each. */
function desiredGroups(desired: DesiredVercelEnv, key: string) {
  const byValue = new Map<string, VercelEnvironment[]>();
  for (const environment of ordered(desired.environments)) {
    const value = desiredValue(desired, key, environment);
    if (value === undefined) continue;
    byValue.set(value, [...(byValue.get(value) ?? []), environment]);
  }
  return [...byValue].map(([value, target]) => ({ value, target }));
}

export function planVercelEnv(
  existing: readonly VercelEnvVar[],
  desired: DesiredVercelEnv,
): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const key of [...MANAGED_VARIABLES, ...appVariableKeys(desired)]) {
    const groups = desiredGroups(desired, key);
    const satisfied = new Set<number>();
    for (const variable of existing.filter((v) => v.key === key)) {
      const overlap = variable.target.filter((t) => desired.environments.includes(t));
      if (variable.gitBranch) {
        if (overlap.length > 0) {
          steps.push({
            action: "skip",
            id: variable.id,
            key,
            target: variable.target,
            reason: `only for git branch ${variable.gitBranch}: it overrides the value below on that branch; check it by hand`,
          });
        }
        continue;
      }
      if (overlap.length === 0) continue;
      const index = groups.findIndex(
        (g, i) => !satisfied.has(i) && sameSet(g.target, variable.target),
      );
      const group = groups[index];
      if (group) {
        satisfied.add(index);
        const readable = variable.type === MANAGED_TYPE;
        if (readable && variable.value === group.value) {
          steps.push({
            action: "keep",
            id: variable.id,
            key,
            value: group.value,
            target: variable.target,
          });
        } else {
          steps.push({
            action: "update",
            id: variable.id,
            key,
            value: group.value,
            target: variable.target,
            was: readable ? variable.value : undefined,
          });
        }
      } else if (overlap.length === variable.target.length) {
        steps.push({
          action: "delete",
          id: variable.id,
          key,
          target: variable.target,
          reason:
            groups.length === 0 && key === "VERCEL_OIDC_AUDIENCE"
              ? AUDIENCE_UNSET
              : "replaced by one variable per value below",
        });
      } else {
        steps.push({
          action: "narrow",
          id: variable.id,
          key,
          target: variable.target,
          remaining: ordered(variable.target.filter((t) => !overlap.includes(t))),
        });
      }
    }
    groups.forEach((group, index) => {
      if (!satisfied.has(index)) {
        steps.push({ action: "create", key, value: group.value, target: group.target });
      }
    });
  }
  for (const variable of existing) {
    if (
      (OLD_VERCEL_VARIABLES as readonly string[]).includes(variable.key) ||
      isEndpointOverride(variable.key)
    ) {
      steps.push({
        action: "delete",
        id: variable.id,
        key: variable.key,
        target: variable.target,
        reason:
          variable.key === "AWS_WEB_IDENTITY_TOKEN_FILE"
            ? "a hand-set token file breaks the OIDC flow on Vercel"
            : isEndpointOverride(variable.key)
              ? "the OIDC token and all data would go to that host instead of AWS"
              : variable.key === "AWS_PROFILE"
                ? "local only; meaningless on Vercel"
                : "static keys: the OIDC role replaces them",
      });
    }
  }
  return steps;
}

/** Order of application: make room first (delete, narrow), then update, then create. */
export function applicationOrder(steps: readonly PlanStep[]): PlanStep[] {
  const rank: Record<PlanStep["action"], number> = {
    delete: 0,
    narrow: 1,
    update: 2,
    create: 3,
    keep: 4,
    skip: 4,
  };
  return [...steps].sort((a, b) => rank[a.action] - rank[b.action]);
}

const SYMBOL: Record<PlanStep["action"], string> = {
  create: "+ create",
  update: "~ update",
  keep: "= keep  ",
  narrow: "~ narrow",
  delete: "- delete",
  skip: "! skip  ",
};

function stepDetail(step: PlanStep): string {
  switch (step.action) {
    case "create":
    case "keep":
      return step.value;
    case "update":
      return `${step.value}${step.was !== undefined ? ` (was ${step.was})` : ""}`;
    case "narrow":
      return `→ [${step.remaining.join(", ")}] (kept for the environments not configured here)`;
    default:
      return step.reason;
  }
}

/** The plan as a table. Values are shown only for the managed, non-secret variables. */
export function formatPlan(steps: readonly PlanStep[]): string {
  if (steps.length === 0) return "  (nothing to do)";
  const keyWidth = Math.max(...steps.map((s) => s.key.length));
  return steps
    .map(
      (step) =>
        `  ${SYMBOL[step.action]}  ${step.key.padEnd(keyWidth)}  [${step.target.join(", ")}]  ${stepDetail(step)}`,
    )
    .join("\n");
}

export const planChangesSomething = (steps: readonly PlanStep[]) =>
  steps.some((step) => step.action !== "keep" && step.action !== "skip");
