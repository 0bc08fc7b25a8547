// The configuration the sandbox deploys: the user's, with the sandbox's own twists. Pure and free
// of aws-cdk-lib, so the sandbox process can resolve it (and key its template cache on it)
// without loading the CDK; the synthesis child builds the template from the same function.

import { accountConfigs, TARGET_ACCOUNT_VARIABLE } from "@repo/infra/accounts";
import {
  type InfraConfig,
  InfraConfigError,
  type InfraEnv,
  loadInfraConfig,
} from "@repo/infra/config";
import { GITHUB_OIDC_ISSUER } from "@repo/infra/github-naming";
import { oidcProviderArn } from "@repo/infra/trust/evaluate";

/** moto's default account: every ARN in the sandbox lives here. */
export const SANDBOX_ACCOUNT = "123456789012";

/** The sample Vercel team and project the sandbox stands for when the user configured none. */
export const SANDBOX_DEFAULTS = {
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
} as const;

/**
 * The user's infra configuration with the sandbox's own twists: sample team/project/region where
 * unset, and always the existing-provider path (moto skips AWS::IAM::OIDCProvider in templates,
 * so the sandbox creates the provider through IAM first). With KEYLESS_ACCOUNTS and
 * KEYLESS_TARGET_ACCOUNT (as `pnpm infra:*` sets it per account): that account's stack, for a
 * moto account of the same id (`startSandbox({ extraAccounts })`); without a target, one stack
 * with every environment in the sandbox's own account, as before.
 */
export function sandboxInfraConfig(env: InfraEnv): InfraConfig {
  const pick = (name: keyof typeof SANDBOX_DEFAULTS) =>
    env[name]?.trim() ? env[name] : SANDBOX_DEFAULTS[name];
  const config = loadInfraConfig({
    ...env,
    VERCEL_TEAM_SLUG: pick("VERCEL_TEAM_SLUG"),
    VERCEL_PROJECT_NAME: pick("VERCEL_PROJECT_NAME"),
    AWS_REGION: pick("AWS_REGION"),
    // A real account's provider or profile means nothing inside moto.
    OIDC_PROVIDER_ARN: undefined,
    AWS_PROFILE: undefined,
  });
  const target = env[TARGET_ACCOUNT_VARIABLE]?.trim();
  const scoped = target ? accountConfigs(config).find((c) => c.account === target) : config;
  if (!scoped) {
    throw new InfraConfigError([
      {
        variable: TARGET_ACCOUNT_VARIABLE,
        message: `"${target}" is not an account of KEYLESS_ACCOUNTS${env.KEYLESS_ONLY_ACCOUNT?.trim() ? " as KEYLESS_ONLY_ACCOUNT narrows it" : ""} (${config.accounts?.map((a) => a.account).join(", ") ?? "unset"})`,
      },
    ]);
  }
  const account = scoped.account ?? SANDBOX_ACCOUNT;
  return {
    ...scoped,
    profile: undefined,
    existingProviderArn: oidcProviderArn(config.issuerUrl, account),
    github: config.github && {
      ...config.github,
      existingProviderArn: oidcProviderArn(GITHUB_OIDC_ISSUER, account),
    },
  };
}
