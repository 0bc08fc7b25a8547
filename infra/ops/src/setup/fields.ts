// The values `pnpm configure` asks for: one entry per .env variable, with its flag, where the user
// finds it in Vercel or AWS, and the same validator the stack's config loader uses.

import {
  type Validated,
  validateEnvironments,
  validateIssuerMode,
  validateProfile,
  validateProjectId,
  validateProjectName,
  validateProviderArn,
  validateRegion,
  validateStackName,
  validateTeamId,
  validateTeamSlug,
} from "@repo/infra/config";
import { vercelIssuer } from "@repo/infra/vercel-naming";

/** Answers as they are written to .env: variable → raw string. */
export type SetupValues = Readonly<Record<string, string | undefined>>;

export interface SetupField {
  readonly variable: string;
  /** Command-line flag without the dashes. */
  readonly flag: string;
  readonly label: string;
  /** Where the value is found, shown before the question and in --help. */
  readonly where: string;
  readonly required: boolean;
  /** Used when nothing else gives a value; written to .env so the file says what applies. */
  readonly fallback?: string;
  /** Placeholder shown in the prompt. */
  readonly example: string;
  /** Asked in the interactive wizard (the rest are flags or env only). */
  readonly asked: boolean;
  /** Normalises a raw answer, or explains what is wrong; `others` holds the answers so far. */
  validate(raw: string | undefined, others: SetupValues): Validated<string | undefined>;
}

const asString = <T>(result: Validated<T>, show: (value: T) => string | undefined) =>
  result.ok ? { ...result, value: show(result.value) } : result;

const same = (value: string | undefined) => value;

export const SETUP_FIELDS: readonly SetupField[] = [
  {
    variable: "VERCEL_TEAM_SLUG",
    flag: "team-slug",
    label: "Vercel team slug",
    where:
      "Vercel → Team Settings → General → Team URL: the part after vercel.com/ (not the team_… id). Trust is pinned to it.",
    required: true,
    example: "acme",
    asked: true,
    validate: (raw) => validateTeamSlug(raw),
  },
  {
    variable: "VERCEL_PROJECT_NAME",
    flag: "project-name",
    label: "Vercel project name",
    where:
      "Vercel → your project → Settings → General → Project Name (not the prj_… id). Trust is pinned to it.",
    required: true,
    example: "web",
    asked: true,
    validate: (raw) => validateProjectName(raw),
  },
  {
    variable: "VERCEL_TEAM_ID",
    flag: "team-id",
    label: "Vercel team ID (optional)",
    where:
      "Vercel → Team Settings → General → Team ID (team_…). Tags the roles and addresses the Vercel API; IAM cannot pin trust to it.",
    required: false,
    example: "team_…",
    asked: true,
    validate: (raw) => validateTeamId(raw),
  },
  {
    variable: "VERCEL_PROJECT_ID",
    flag: "project-id",
    label: "Vercel project ID (optional)",
    where:
      "Vercel → your project → Settings → General → Project ID (prj_…). Tags the roles; IAM cannot pin trust to it.",
    required: false,
    example: "prj_…",
    asked: true,
    validate: (raw) => validateProjectId(raw),
  },
  {
    variable: "AWS_REGION",
    flag: "region",
    label: "AWS region",
    where:
      "Where the roles, the bucket and the STS calls live (CloudTrail logs the exchanges there).",
    required: true,
    fallback: "us-east-1",
    example: "us-east-1",
    asked: true,
    validate: (raw) => validateRegion(raw),
  },
  {
    variable: "VERCEL_ENVIRONMENTS",
    flag: "environments",
    label: "Vercel environments that get a role",
    where:
      "One role per environment, each trusting only its own environment. production is the usual start; add preview for preview deployments, and a custom environment by its name (e.g. staging; `--environments production,preview,staging`).",
    required: true,
    fallback: "production",
    example: "production,preview",
    asked: true,
    validate: (raw) => asString(validateEnvironments(raw), (list) => list.join(",")),
  },
  {
    variable: "VERCEL_ISSUER_MODE",
    flag: "issuer-mode",
    label: "OIDC issuer mode",
    where:
      "Vercel → your project → Settings → Security → Secure backend access with OIDC federation: Team (recommended) or Global.",
    required: true,
    fallback: "team",
    example: "team",
    asked: true,
    validate: (raw) => validateIssuerMode(raw),
  },
  {
    variable: "OIDC_PROVIDER_ARN",
    flag: "provider-arn",
    label: "Existing IAM OIDC provider ARN (optional)",
    where:
      "Only if the AWS account already has a provider for this issuer (IAM → Identity providers; one per URL per account). Empty creates one.",
    required: false,
    example: "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/acme",
    asked: true,
    validate: (raw, others) => {
      const slug = validateTeamSlug(others.VERCEL_TEAM_SLUG);
      const mode = validateIssuerMode(others.VERCEL_ISSUER_MODE);
      const issuer =
        slug.ok && mode.ok
          ? vercelIssuer({ teamSlug: slug.value, issuerMode: mode.value })
          : undefined;
      return validateProviderArn(raw, issuer);
    },
  },
  {
    variable: "AWS_PROFILE",
    flag: "profile",
    label: "AWS profile for deploying (optional)",
    where:
      "A profile in ~/.aws/config (SSO works) used by `pnpm infra:deploy` and by the app on your machine. Empty uses your default credentials.",
    required: false,
    example: "my-admin",
    asked: true,
    validate: (raw) => validateProfile(raw),
  },
  {
    variable: "KEYLESS_STACK_NAME",
    flag: "stack-name",
    label: "CloudFormation stack name",
    where: "The name of the stack in CloudFormation.",
    required: false,
    example: "KeylessVercelOidc",
    asked: false,
    validate: (raw) => asString(validateStackName(raw), same),
  },
];

export const SETUP_VARIABLES: readonly string[] = SETUP_FIELDS.map((field) => field.variable);

/** Never written by setup, and worth a warning when found in .env: Keyless never uses them. */
export const STATIC_KEY_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
] as const;
