// The Vercel OIDC naming rules, pure: the issuer URL and the `aud` and `sub` claims a Vercel token
// carries, and the checks on team slugs, project names and provider ARNs. No aws-cdk-lib here, so
// the configuration, the setup wizard, verify and trust:check load none of the CDK; the constructs
// in vercel-oidc.ts build on these. Copy both files together (`pnpm copy:construct`).
//
// What IAM can pin for a Vercel token is its `sub` and `aud` (owner_id / project_id / environment
// are not condition keys), so the trust is built from team slug + project name + environment.

/** Vercel's three built-in environments. */
export const VERCEL_ENVIRONMENTS = ["production", "preview", "development"] as const;
export type StandardVercelEnvironment = (typeof VERCEL_ENVIRONMENTS)[number];
/**
 * A built-in environment or a custom environment's name (e.g. `staging`); check a name with
 * `environmentNameProblem`. `string & {}` keeps the built-in names as suggestions.
 */
export type VercelEnvironment = StandardVercelEnvironment | (string & {});
export const VERCEL_ISSUER_MODES = ["team", "global"] as const;
export type VercelIssuerMode = (typeof VERCEL_ISSUER_MODES)[number];

const VERCEL_OIDC_HOST = "oidc.vercel.com";
const TEAM_SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const PROJECT_NAME = /^[a-z0-9._-]{1,100}$/;
const PROVIDER_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider\/(.+)$/;

/** Why `slug` is not a valid Vercel team slug, or undefined when it is. */
export function teamSlugProblem(slug: string): string | undefined {
  if (slug === "") return "it is empty";
  if (/[A-Z]/.test(slug)) {
    return `"${slug}" has capital letters; Vercel team slugs are lower-case (try "${slug.toLowerCase()}")`;
  }
  if (slug.startsWith("team_")) {
    return `"${slug}" is a team id; the slug is the name in the team URL (vercel.com/<slug>)`;
  }
  if (!TEAM_SLUG.test(slug)) {
    return `"${slug}" may only hold lower-case letters, digits and single hyphens between them`;
  }
  return undefined;
}

export const isStandardEnvironment = (name: string): name is StandardVercelEnvironment =>
  (VERCEL_ENVIRONMENTS as readonly string[]).includes(name);

// Vercel's own rule for a custom environment's slug (its REST API: at most 32 characters, not
// Production/Preview; its Terraform provider: 1-32 of [a-z0-9-]).
const CUSTOM_ENVIRONMENT = /^[a-z0-9-]{1,32}$/;

/**
 * Why `name` is neither a built-in environment nor a custom environment Vercel would accept. A
 * name within two typing slips of a built-in one (`prevew`, `prod`, `Dev`) is refused too: a role
 * for it would trust a custom environment that most likely does not exist.
 */
export function environmentNameProblem(name: string): string | undefined {
  if (isStandardEnvironment(name)) return undefined;
  if (name === "") return "it is empty";
  const base = `"${name}" is not a Vercel environment; allowed: ${VERCEL_ENVIRONMENTS.join(", ")}, or a custom environment's name (1-32 lower-case letters, digits and hyphens)`;
  const lower = name.toLowerCase();
  if (isStandardEnvironment(lower)) return `${base}; write it "${lower}"`;
  const near = VERCEL_ENVIRONMENTS.find(
    (builtIn) => builtIn.startsWith(lower) || editDistance(lower, builtIn) <= 2,
  );
  if (near) return `${base}; did you mean "${near}"?`;
  if (!CUSTOM_ENVIRONMENT.test(name)) {
    return CUSTOM_ENVIRONMENT.test(lower) ? `${base}; try "${lower}"` : base;
  }
  return undefined;
}

// Levenshtein distance, by hand: one comparison of two short strings is not worth a dependency.
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * `staging` → `Staging`, `qa-eu` → `QaEu`: the part of output names and logical ids that names
 * the environment (CloudFormation allows only letters and digits there).
 */
export function environmentSuffix(environment: VercelEnvironment): string {
  return environment
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** Why `name` is not a valid Vercel project name, or undefined when it is. */
export function projectNameProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (/[A-Z]/.test(name)) {
    return `"${name}" has capital letters; Vercel project names are lower-case (try "${name.toLowerCase()}")`;
  }
  if (name.startsWith("prj_")) {
    return `"${name}" is a project id; the trust needs the project name`;
  }
  if (!PROJECT_NAME.test(name) || name.includes("---")) {
    return `"${name}" must be 1-100 lower-case letters, digits, ".", "_" or "-" (and no "---")`;
  }
  return undefined;
}

export interface VercelIssuerProps {
  /** The team slug, as in vercel.com/<slug> (not the team_… id). */
  readonly teamSlug: string;
  /** `team` (issuer https://oidc.vercel.com/<slug>, recommended) or `global`. @default "team" */
  readonly issuerMode?: VercelIssuerMode;
  /**
   * A custom audience (e.g. `sts.amazonaws.com`) the app exchanges its token for through
   * `@vercel/oidc`: the provider and the roles then accept that `aud` instead of the team's.
   * Team mode only (see `customAudienceProblem`). @default the team audience
   */
  readonly audience?: string;
}

/** Everything IAM needs to know about Vercel's issuer for one team. */
export interface VercelIssuer {
  readonly teamSlug: string;
  readonly issuerMode: VercelIssuerMode;
  /** The `iss` claim, e.g. https://oidc.vercel.com/acme. */
  readonly issuerUrl: string;
  /** The issuer without https:// — IAM's provider name and condition-key prefix. */
  readonly issuerHostPath: string;
  /** The `aud` the provider and the roles accept: the custom audience, else the team's. */
  readonly audience: string;
  /** The `aud` claim Vercel sets by default: https://vercel.com/<slug> in both modes. */
  readonly teamAudience: string;
}

export function vercelIssuer(props: VercelIssuerProps): VercelIssuer {
  const issuerMode = props.issuerMode ?? "team";
  const slugProblem = teamSlugProblem(props.teamSlug);
  if (slugProblem) throw new Error(`Vercel team slug: ${slugProblem}`);
  if (!VERCEL_ISSUER_MODES.includes(issuerMode)) {
    throw new Error(`Vercel issuer mode "${issuerMode}" must be "team" or "global"`);
  }
  const issuerHostPath =
    issuerMode === "team" ? `${VERCEL_OIDC_HOST}/${props.teamSlug}` : VERCEL_OIDC_HOST;
  const teamAudience = `https://vercel.com/${props.teamSlug}`;
  if (props.audience !== undefined) {
    const problem = customAudienceProblem(props.audience, { teamSlug: props.teamSlug, issuerMode });
    if (problem) throw new Error(`Vercel OIDC audience: ${problem}`);
  }
  return {
    teamSlug: props.teamSlug,
    issuerMode,
    issuerUrl: `https://${issuerHostPath}`,
    issuerHostPath,
    audience: props.audience ?? teamAudience,
    teamAudience,
  };
}

/**
 * Why `audience` cannot be the custom audience of this team's tokens, or undefined when it can.
 * Vercel mints exchanged tokens with the TEAM issuer (https://oidc.vercel.com/<slug>) even for a
 * project set to the global issuer, so only a team-mode provider ever sees them: global mode is
 * refused rather than deployed as a provider no exchanged token could reach.
 */
export function customAudienceProblem(
  audience: string,
  issuer: { teamSlug: string; issuerMode: VercelIssuerMode },
): string | undefined {
  if (audience.trim() === "") return "it is empty";
  // IAM client ids are 1-255 characters; a space or comma is a pasted list, never one audience.
  if (audience.length > 255)
    return `"${audience.slice(0, 40)}…" is longer than IAM's 255 characters`;
  if (/[\s,]/.test(audience))
    return `"${audience}" holds a space or comma; give exactly one audience`;
  if (audience === `https://vercel.com/${issuer.teamSlug}`) {
    return `"${audience}" is the team audience Vercel sets anyway; leave the custom audience unset`;
  }
  if (issuer.issuerMode !== "team") {
    return `a custom audience needs the team issuer: Vercel issues exchanged tokens from https://${VERCEL_OIDC_HOST}/${issuer.teamSlug} even when the project uses the global issuer, so a provider for https://${VERCEL_OIDC_HOST} would never accept them. Use the team issuer mode for the stack (the project's own setting in Vercel may stay global)`;
  }
  return undefined;
}

/**
 * The `sub` claim of a token minted for `projectName` in `environment`, the one place that
 * decides it. For a custom environment this assumes Vercel puts its name (`…:environment:staging`),
 * which Vercel's docs do not confirm (they list production/preview/development only, and
 * VERCEL_ENV is `preview` there); the evidence is that `@vercel/oidc`'s own verifier expects the
 * `environment` claim to equal VERCEL_TARGET_ENV, which holds the custom name. If a real token
 * says otherwise, change it here: the README says how to check (decode a token from that
 * environment, or read the `sub` that `pnpm verify` shows from CloudTrail).
 */
export function vercelSubject(
  teamSlug: string,
  projectName: string,
  environment: VercelEnvironment,
): string {
  return `owner:${teamSlug}:project:${projectName}:environment:${environment}`;
}

export interface ParsedProviderArn {
  readonly partition: string;
  readonly account: string;
  /** The provider's URL without https://. */
  readonly hostPath: string;
}

/** Why `arn` cannot be the IAM OIDC provider for `issuer`, or undefined when it can. */
export function providerArnProblem(arn: string, issuer: VercelIssuer): string | undefined {
  const parsed = parseProviderArn(arn);
  if (!parsed) {
    return `"${arn}" is not an OIDC provider ARN (arn:aws:iam::<12-digit account>:oidc-provider/${issuer.issuerHostPath})`;
  }
  if (parsed.hostPath !== issuer.issuerHostPath) {
    return `"${arn}" is the provider for https://${parsed.hostPath}, but ${issuer.issuerMode} mode needs the one for ${issuer.issuerUrl}`;
  }
  return undefined;
}

export function parseProviderArn(arn: string): ParsedProviderArn | undefined {
  const match = PROVIDER_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition = "", account = "", hostPath = ""] = match;
  return { partition, account, hostPath };
}
