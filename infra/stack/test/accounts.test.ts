// Separate accounts (KEYLESS_ACCOUNTS): validated in one line each, narrowed to one configuration
// per account, synthesized as one stack per account pinned to it, and run through the CDK CLI
// once per account with that account's profile.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { accountConfigs, parseAccounts } from "../src/accounts";
import { loadInfraConfig } from "../src/config";
import { type CfnTemplate, createKeylessAppFromConfig } from "../src/synth";
import { problemsOf } from "./helpers/config-problems";
import { isolatedInfraEnv } from "./helpers/sample-config";

const INFRA = fileURLToPath(new URL("..", import.meta.url));
const PROD = "111111111111";
const DEV = "222222222222";
const deployRole = (account: string) =>
  `arn:aws:iam::${account}:role/KeylessVercelOidc-GithubDeployRole-ABC123`;
const SAMPLE = {
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
  VERCEL_ENVIRONMENTS: "production,preview,development",
  KEYLESS_ACCOUNTS: `production:${PROD}:prod-profile,preview:${DEV}:dev-profile,development:${DEV}:dev-profile`,
};

describe("KEYLESS_ACCOUNTS", () => {
  it("groups the environments by account, in VERCEL_ENVIRONMENTS' order, each with its profile", () => {
    expect(loadInfraConfig(SAMPLE).accounts).toEqual([
      { account: PROD, profile: "prod-profile", environments: ["production"] },
      { account: DEV, profile: "dev-profile", environments: ["preview", "development"] },
    ]);
    const noProfile = parseAccounts(`preview:${DEV},production:${PROD}`, ["production", "preview"]);
    expect(noProfile).toEqual({
      targets: [
        { account: DEV, environments: ["preview"] },
        { account: PROD, environments: ["production"] },
      ],
    });
  });

  it("refuses bad input with one line naming KEYLESS_ACCOUNTS and the fix", () => {
    const cases: [string, RegExp][] = [
      [
        `production:11111111111:p,preview:${DEV}`,
        /"11111111111" \(for production\) is not an AWS account id: 12 digits/,
      ],
      [`production:${PROD}`, /preview, development have no account; map every environment/],
      [
        `production:${PROD},production:${DEV},preview:${DEV},development:${DEV}`,
        /"production" is mapped twice/,
      ],
      [
        `production:${PROD}:a,preview:${PROD}:b,development:${DEV}`,
        /account 111111111111 is given two profiles \(a, b\)/,
      ],
      [`production=${PROD}`, /is not environment:account-id\[:profile\]; e\.g\./],
      [
        `staging:${PROD},production:${PROD},preview:${DEV},development:${DEV}`,
        /"staging" is not in VERCEL_ENVIRONMENTS/,
      ],
    ];
    for (const [value, message] of cases) {
      const problems = problemsOf({ ...SAMPLE, KEYLESS_ACCOUNTS: value });
      expect(problems, value).toHaveLength(1);
      expect(problems[0]?.variable).toBe("KEYLESS_ACCOUNTS");
      expect(problems[0]?.message).toMatch(message);
      expect(problems[0]?.message.split("\n")).toHaveLength(1);
    }
    expect(
      problemsOf({
        ...SAMPLE,
        OIDC_PROVIDER_ARN: "arn:aws:iam::333333333333:oidc-provider/oidc.vercel.com/acme",
      }),
    ).toEqual([
      {
        variable: "OIDC_PROVIDER_ARN",
        message: expect.stringContaining(
          "account 333333333333, which KEYLESS_ACCOUNTS does not name",
        ),
      },
    ]);
  });

  it("KEYLESS_ONLY_ACCOUNT keeps one account (a CI job per account), checked like the rest", () => {
    const only = loadInfraConfig({ ...SAMPLE, KEYLESS_ONLY_ACCOUNT: DEV });
    expect(accountConfigs(only).map((c) => [c.account, c.environments, c.profile])).toEqual([
      [DEV, ["preview", "development"], "dev-profile"],
    ]);
    // The provider check still sees every account of KEYLESS_ACCOUNTS.
    const provider = `arn:aws:iam::${PROD}:oidc-provider/oidc.vercel.com/acme`;
    const prodOnly = loadInfraConfig({ ...SAMPLE, KEYLESS_ONLY_ACCOUNT: PROD });
    expect(accountConfigs(prodOnly).map((c) => c.account)).toEqual([PROD]);
    const withProvider = loadInfraConfig({
      ...SAMPLE,
      OIDC_PROVIDER_ARN: provider,
      KEYLESS_ONLY_ACCOUNT: DEV,
    });
    expect(accountConfigs(withProvider).map((c) => [c.account, c.existingProviderArn])).toEqual([
      [DEV, undefined],
    ]);
    const cases: [Record<string, string>, RegExp][] = [
      [
        { KEYLESS_ONLY_ACCOUNT: "12345" },
        /"12345" is not an AWS account id \(12 digits\); use one of 111111111111, 222222222222/,
      ],
      [
        { KEYLESS_ONLY_ACCOUNT: "333333333333" },
        /account 333333333333 is not in KEYLESS_ACCOUNTS; use one of/,
      ],
      [{ KEYLESS_ONLY_ACCOUNT: DEV, KEYLESS_ACCOUNTS: "" }, /needs KEYLESS_ACCOUNTS/],
    ];
    for (const [env, message] of cases) {
      const problems = problemsOf({ ...SAMPLE, ...env });
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0]?.variable).toBe("KEYLESS_ONLY_ACCOUNT");
      expect(problems[0]?.message).toMatch(message);
      expect(problems[0]?.message.split("\n")).toHaveLength(1);
    }
    // A KEYLESS_ACCOUNTS with a problem is reported once, not again through KEYLESS_ONLY_ACCOUNT.
    expect(
      problemsOf({
        ...SAMPLE,
        KEYLESS_ACCOUNTS: `production:${PROD}`,
        KEYLESS_ONLY_ACCOUNT: PROD,
      }).map((p) => p.variable),
    ).toEqual(["KEYLESS_ACCOUNTS"]);
  });

  it("narrows the configuration per account: its environments, subjects, profile and provider", () => {
    const config = loadInfraConfig({
      ...SAMPLE,
      AWS_PROFILE: "fallback",
      OIDC_PROVIDER_ARN: `arn:aws:iam::${DEV}:oidc-provider/oidc.vercel.com/acme`,
    });
    const [prod, dev] = accountConfigs(config);
    expect(prod).toMatchObject({
      account: PROD,
      profile: "prod-profile",
      environments: ["production"],
      subjects: { production: "owner:acme:project:web:environment:production" },
      existingProviderArn: undefined,
    });
    expect(Object.keys(prod?.subjects ?? {})).toEqual(["production"]);
    expect(dev).toMatchObject({
      account: DEV,
      profile: "dev-profile",
      environments: ["preview", "development"],
      existingProviderArn: `arn:aws:iam::${DEV}:oidc-provider/oidc.vercel.com/acme`,
    });
    // Without KEYLESS_ACCOUNTS: the one configuration, unpinned.
    const single = loadInfraConfig({ ...SAMPLE, KEYLESS_ACCOUNTS: "" });
    expect(accountConfigs(single)).toEqual([single]);
    expect(single.account).toBeUndefined();
  });
});

describe("one stack per account", { timeout: 120_000 }, () => {
  it("synthesizes each account's roles only, pinned to its account", () => {
    const stacks = accountConfigs(loadInfraConfig(SAMPLE)).map((config) => {
      const { app, stack } = createKeylessAppFromConfig(config);
      const artifact = app.synth().getStackByName(stack.stackName);
      const template = artifact.template as CfnTemplate;
      const roles = Object.entries(template.Resources)
        .filter(([, resource]) => resource.Type === "AWS::IAM::Role")
        .map(([id]) => id);
      return { account: artifact.environment.account, roles, outputs: template.Outputs ?? {} };
    });
    expect(stacks.map(({ account, roles }) => [account, roles.sort()])).toEqual([
      [PROD, ["VercelRoleProduction"]],
      [DEV, ["VercelRoleDevelopment", "VercelRolePreview"]],
    ]);
    // Each account has its own provider and bucket (the roles of one cannot reach the other's).
    expect(Object.keys(stacks[1]?.outputs ?? {})).toContain("BucketName");
    expect(Object.keys(stacks[0]?.outputs ?? {})).not.toContain("RoleArnPreview");
  });

  const outdirs = [PROD, DEV].map((account) => join(INFRA, "cdk.out", account));
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it("in GitHub Actions, a profile in KEYLESS_ACCOUNTS is one line with the value to use instead", () => {
    const result = spawnSync(join(INFRA, "node_modules/.bin/tsx"), ["bin/cdk.ts", "deploy"], {
      cwd: INFRA,
      env: isolatedInfraEnv({
        ...SAMPLE,
        GITHUB_ACTIONS: "true",
        KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
        KEYLESS_ONLY_ACCOUNT: DEV,
        AWS_DEPLOY_ROLE_ARNS: JSON.stringify([PROD, DEV].map(deployRole)),
      }),
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `KEYLESS_ACCOUNTS: names profile "dev-profile" (account ${DEV}), which a GitHub Actions job does not have. Leave the profiles out of the repository variable: production:${PROD},preview:${DEV},development:${DEV}`,
    );
    // Stopped before the CDK CLI ran: nothing was synthesized or deployed.
    expect(result.stdout).not.toContain("== Account");
  });

  it("in GitHub Actions, every account needs a deploy role in AWS_DEPLOY_ROLE_ARNS (one job each)", () => {
    const deploy = (extra: Record<string, string>) =>
      spawnSync(join(INFRA, "node_modules/.bin/tsx"), ["bin/cdk.ts", "deploy"], {
        cwd: INFRA,
        env: isolatedInfraEnv({
          ...SAMPLE,
          KEYLESS_ACCOUNTS: `production:${PROD},preview:${DEV},development:${DEV}`,
          GITHUB_ACTIONS: "true",
          KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
          ...extra,
        }),
        encoding: "utf8",
      });
    const oneRole = deploy({ KEYLESS_ONLY_ACCOUNT: PROD, AWS_DEPLOY_ROLE_ARNS: "" });
    expect(oneRole.status).toBe(2);
    expect(oneRole.stderr).toContain(
      "AWS_DEPLOY_ROLE_ARNS: must be a JSON list of every account's",
    );
    const short = deploy({
      KEYLESS_ONLY_ACCOUNT: PROD,
      AWS_DEPLOY_ROLE_ARNS: JSON.stringify([deployRole(PROD)]),
    });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain(
      `AWS_DEPLOY_ROLE_ARNS: has no deploy role for account ${DEV} of KEYLESS_ACCOUNTS`,
    );
    const unnamed = deploy({ AWS_DEPLOY_ROLE_ARNS: JSON.stringify([PROD, DEV].map(deployRole)) });
    expect(unnamed.status).toBe(2);
    expect(unnamed.stderr).toContain("this job names no account");
    for (const run of [oneRole, short, unnamed]) expect(run.stdout).not.toContain("== Account");
  });

  it("pnpm infra:synth runs the CDK once per account, each stack in its own cdk.out folder", () => {
    const result = spawnSync(join(INFRA, "node_modules/.bin/tsx"), ["bin/cdk.ts", "synth"], {
      cwd: INFRA,
      env: isolatedInfraEnv(SAMPLE),
      encoding: "utf8",
    });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`== Account ${PROD} (production), profile prod-profile ==`);
    expect(result.stdout).toContain(
      `== Account ${DEV} (preview, development), profile dev-profile ==`,
    );
    const [prodDir = "", devDir = ""] = outdirs;
    const templateOf = (dir: string) =>
      JSON.parse(readFileSync(join(dir, "KeylessVercelOidc.template.json"), "utf8")) as CfnTemplate;
    expect(Object.keys(templateOf(prodDir).Resources)).toContain("VercelRoleProduction");
    expect(Object.keys(templateOf(prodDir).Resources)).not.toContain("VercelRolePreview");
    expect(Object.keys(templateOf(devDir).Resources)).toContain("VercelRolePreview");
    const manifest = JSON.parse(readFileSync(join(devDir, "manifest.json"), "utf8"));
    expect(JSON.stringify(manifest)).toContain(`aws://${DEV}/us-east-1`);
    expect(existsSync(join(INFRA, "cdk.out", PROD, "manifest.json"))).toBe(true);
  });
});
