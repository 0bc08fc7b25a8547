/**
 * The one sample configuration every workspace's tests run on (the sandbox's test kit re-exports
 * it; it lives here because the stack is the lowest workspace whose tests need it): what a user
 * must type into `.env`. Everything else keeps its default (production only, team issuer); spread
 * it into `isolatedInfraEnv` when a developer's `.env` must not change the outcome.
 */
export const SAMPLE_CONFIG = {
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
} as const;

/** The `sub` claim the sample project's tokens carry in `environment`. */
export const sampleSubject = (environment = "production") =>
  `owner:${SAMPLE_CONFIG.VERCEL_TEAM_SLUG}:project:${SAMPLE_CONFIG.VERCEL_PROJECT_NAME}:environment:${environment}`;

/**
 * The environment for running an infra CLI as a child process in a test: every infra variable set
 * explicitly (blank = its default), so a developer's `.env` cannot change the outcome.
 */
export function isolatedInfraEnv(
  values: Record<string, string> = SAMPLE_CONFIG,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    VERCEL_ENVIRONMENTS: "",
    VERCEL_ISSUER_MODE: "",
    VERCEL_OIDC_AUDIENCE: "",
    VERCEL_TEAM_ID: "",
    VERCEL_PROJECT_ID: "",
    OIDC_PROVIDER_ARN: "",
    AWS_PROFILE: "",
    KEYLESS_STACK_NAME: "",
    KEYLESS_GITHUB_REPOSITORY: "",
    KEYLESS_GITHUB_DEPLOY_BRANCH: "",
    KEYLESS_GITHUB_DEPLOY_ENVIRONMENT: "",
    KEYLESS_GITHUB_OIDC_PROVIDER_ARN: "",
    KEYLESS_GITHUB_SUBJECT: "",
    KEYLESS_ACCOUNTS: "",
    KEYLESS_TARGET_ACCOUNT: "",
    ...values,
  };
}
