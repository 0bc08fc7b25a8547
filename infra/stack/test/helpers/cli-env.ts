/**
 * The environment for running an infra CLI as a child process in a test: every infra variable set
 * explicitly (blank = its default), so a developer's `.env` cannot change the outcome.
 */
export function isolatedInfraEnv(values: Record<string, string>): Record<string, string> {
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
    KEYLESS_ACCOUNTS: "",
    KEYLESS_TARGET_ACCOUNT: "",
    ...values,
  };
}
