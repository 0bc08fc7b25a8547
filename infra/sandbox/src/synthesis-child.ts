// Runs in the child process started by synthesizeInChild(): configuration + `cdk synth`, in-process,
// answered over IPC. Never imported by the sandbox process itself.

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { accountConfigs, TARGET_ACCOUNT_VARIABLE } from "@repo/infra/accounts";
import {
  type InfraConfig,
  InfraConfigError,
  type InfraEnv,
  loadInfraConfig,
  readInfraEnv,
} from "@repo/infra/config";
import { GITHUB_OIDC_ISSUER } from "@repo/infra/github-naming";
import { environmentSuffix } from "@repo/infra/keyless-stack";
import { synthesizeKeylessTemplate } from "@repo/infra/synth";
import { oidcProviderArn } from "@repo/infra/trust/evaluate";
import {
  SANDBOX_ACCOUNT,
  SANDBOX_DEFAULTS,
  type SynthesisReply,
  type SynthesizedSandbox,
} from "./synthesis";

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

async function synthesize(env: InfraEnv, workDir: string): Promise<SynthesizedSandbox> {
  const config = sandboxInfraConfig(env);
  // A folder of its own: two syntheses in one workDir (one per account, same stack name) would
  // read each other's template back from a shared cdk.out, and cache it under the wrong key.
  await mkdir(workDir, { recursive: true });
  const outdir = await mkdtemp(join(workDir, "cdk.out-"));
  try {
    const template = synthesizeKeylessTemplate(config, outdir);
    const roles = Object.fromEntries(
      config.environments.map((environment) => [
        environment,
        `RoleArn${environmentSuffix(environment)}`,
      ]),
    );
    const githubDeployRole = config.github ? "GithubDeployRoleArn" : undefined;
    return { config, template, outputKeys: { roles, bucket: "BucketName", githubDeployRole } };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

// The sandbox stopped waiting (Ctrl-C during start-up): no one needs the template any more.
process.once("disconnect", () => process.exit(0));

process.once("message", (message: { env: InfraEnv | null; workDir: string }) => {
  const reply = (answer: SynthesisReply) => process.send?.(answer, () => process.disconnect());
  synthesize(message.env ?? readInfraEnv(), message.workDir).then(
    (result) => reply({ ok: true, result }),
    (error: unknown) =>
      reply({
        ok: false,
        configError: error instanceof InfraConfigError,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
