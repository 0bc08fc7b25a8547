// Separate AWS accounts (KEYLESS_ACCOUNTS) end to end, offline: one configuration, its two
// per-account stacks synthesized as `pnpm infra:deploy` does (KEYLESS_TARGET_ACCOUNT) and deployed
// into two moto accounts of one sandbox, an AWS config/credentials file whose two profiles hold a
// read-only user's key of each account, then `pnpm verify` as users run it (a child process).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  type IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { TARGET_ACCOUNT_VARIABLE } from "@repo/infra/accounts";
import { deployStack, type SandboxStack } from "@repo/sandbox/deploy";
import { synthesizeSandbox } from "@repo/sandbox/synthesis";
import { isolatedInfraEnv, SAMPLE_CONFIG } from "@repo/sandbox/test-kit/sample-config";
import { startTestSandbox, type TestSandbox } from "@repo/sandbox/test-kit/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/verify/index";
import {
  ALL_PASSED_WITHOUT_URL,
  checkOutcomes,
  exchangeAsDeployment,
  runVerifyCli,
  TEAM_ENV,
} from "../helpers/verify-harness";

const PROD = "111111111111";
const DEV = "222222222222";
const accountsValue = (prodProfile: string, devProfile: string) =>
  `production:${PROD}:${prodProfile},preview:${DEV}:${devProfile},development:${DEV}:${devProfile}`;
/** The one configuration: production in PROD (profile prod), preview and development in DEV. */
const ACCOUNTS_ENV = {
  ...SAMPLE_CONFIG,
  VERCEL_ENVIRONMENTS: "production,preview,development",
  KEYLESS_ACCOUNTS: accountsValue("prod", "dev"),
};

/** What the README says verify needs (`ReadOnlyAccess` covers it): moto enforces all but LookupEvents. */
const VERIFY_ACTIONS = [
  "sts:GetCallerIdentity",
  "cloudformation:DescribeStacks",
  "cloudformation:DescribeStackResources",
  "cloudformation:GetTemplate",
  "iam:ListOpenIDConnectProviders",
  "iam:GetOpenIDConnectProvider",
  "iam:GetRole",
  "iam:ListRolePolicies",
  "iam:GetRolePolicy",
  "iam:ListAttachedRolePolicies",
  "iam:GetPolicy",
  "iam:GetPolicyVersion",
  "cloudtrail:LookupEvents",
];

interface AccountReport {
  account: string;
  environments: string[];
  ok: boolean;
  checks: CheckResult[];
  events: { roleArn: string; sessionName: string; errorCode: string | null }[];
}

/** An operator's read-only user in the account the client's key belongs to; its key. */
async function createVerifier(iam: IAMClient) {
  await iam.send(new CreateUserCommand({ UserName: "keyless-verifier" }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: "keyless-verifier",
      PolicyName: "verify-read-only",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: VERIFY_ACTIONS, Resource: "*" }],
      }),
    }),
  );
  const { AccessKey } = await iam.send(
    new CreateAccessKeyCommand({ UserName: "keyless-verifier" }),
  );
  return { id: AccessKey?.AccessKeyId ?? "", secret: AccessKey?.SecretAccessKey ?? "" };
}

describe("pnpm verify with KEYLESS_ACCOUNTS, against two sandbox accounts", {
  timeout: 90_000,
}, () => {
  let sandbox: TestSandbox;
  let home: string;
  const stacks = new Map<string, SandboxStack>();
  const keys = new Map<string, { id: string; secret: string }>();

  beforeAll(async () => {
    sandbox = await startTestSandbox({ env: TEAM_ENV, seed: false, extraAccounts: [PROD, DEV] });
    home = await mkdtemp(join(tmpdir(), "keyless-verify-accounts-"));
    // Each account's stack as `pnpm infra:deploy` synthesizes it (bin/app.ts picks the target).
    const synthesized = await Promise.all(
      [PROD, DEV].map(async (account) => {
        const env = isolatedInfraEnv({ ...ACCOUNTS_ENV, [TARGET_ACCOUNT_VARIABLE]: account });
        return { account, stack: await synthesizeSandbox(env, sandbox.stateDir).result };
      }),
    );
    for (const { account, stack } of synthesized) {
      const clients = sandbox.accountClients(account);
      try {
        stacks.set(account, await deployStack(stack, clients));
        keys.set(account, await createVerifier(clients.iam));
      } finally {
        for (const client of Object.values(clients)) client.destroy();
      }
    }
    // Both profiles resolve to static keys of their own account (moto places a call by its key).
    await writeFile(
      join(home, "credentials"),
      [PROD, DEV]
        .map((account, index) => {
          const key = keys.get(account);
          return `[${index === 0 ? "prod" : "dev"}]\naws_access_key_id = ${key?.id}\naws_secret_access_key = ${key?.secret}\n`;
        })
        .join("\n"),
      { mode: 0o600 },
    );
    await writeFile(
      join(home, "config"),
      "[profile prod]\nregion = us-east-1\n\n[profile dev]\nregion = us-east-1\n",
    );
    // One deployment per account exchanged its token: each account's CloudTrail has an event.
    await exchangeAsDeployment(
      sandbox,
      "dpl_prod1",
      "production",
      stacks.get(PROD)?.roleArns.production,
    );
    await exchangeAsDeployment(sandbox, "dpl_prev2", "preview", stacks.get(DEV)?.roleArns.preview);
  }, 180_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const env = (keylessAccounts: string) => ({
    ...isolatedInfraEnv({ ...ACCOUNTS_ENV, KEYLESS_ACCOUNTS: keylessAccounts }),
    HOME: home,
    NO_COLOR: "1",
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
    AWS_ENDPOINT_URL: sandbox.endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const secretsIn = (text: string) =>
    [...keys.values()].filter((key) => key.secret && text.includes(key.secret));

  it("deploys one stack per account, each with only its environments' roles", () => {
    expect(Object.keys(stacks.get(PROD)?.roleArns ?? {})).toEqual(["production"]);
    expect(Object.keys(stacks.get(DEV)?.roleArns ?? {})).toEqual(["preview", "development"]);
    expect(stacks.get(PROD)?.roleArns.production).toMatch(`arn:aws:iam::${PROD}:role/`);
    expect(stacks.get(DEV)?.roleArns.preview).toMatch(`arn:aws:iam::${DEV}:role/`);
    expect(stacks.get(DEV)?.providerArn).toBe(
      `arn:aws:iam::${DEV}:oidc-provider/oidc.vercel.com/acme`,
    );
  });

  it("one report per account, each with its profile's account, its stack and its exchange", async () => {
    const run = await runVerifyCli(["--json"], env(ACCOUNTS_ENV.KEYLESS_ACCOUNTS));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const output = JSON.parse(run.stdout) as { ok: boolean; accounts: AccountReport[] };
    expect(output.accounts.map(({ account, environments }) => [account, environments])).toEqual([
      [PROD, ["production"]],
      [DEV, ["preview", "development"]],
    ]);
    for (const report of output.accounts) {
      expect(checkOutcomes(report)).toEqual(ALL_PASSED_WITHOUT_URL);
      const detail = (name: string) => report.checks.find((c) => c.name === name)?.detail ?? "";
      expect(detail("credentials")).toContain(
        `arn:aws:iam::${report.account}:user/keyless-verifier (account ${report.account}), from profile ${report.account === PROD ? "prod" : "dev"}`,
      );
      expect(detail("oidc-provider")).toContain(
        `arn:aws:iam::${report.account}:oidc-provider/oidc.vercel.com/acme`,
      );
      // Every exchange listed is one of this account's roles.
      expect(report.events.length).toBeGreaterThan(0);
      for (const event of report.events) {
        expect(event.roleArn).toMatch(`arn:aws:iam::${report.account}:role/`);
      }
    }
    const [prod, dev] = output.accounts;
    const detailOf = (report: AccountReport | undefined, name: string) =>
      report?.checks.find((c) => c.name === name)?.detail ?? "";
    expect(detailOf(prod, "stack")).toMatch(/with outputs RoleArnProduction, BucketName, Region/);
    expect(detailOf(dev, "stack")).toMatch(
      /with outputs RoleArnPreview, RoleArnDevelopment, BucketName, Region/,
    );
    expect(detailOf(prod, "trust-policy")).toContain(
      "sub = owner:acme:project:web:environment:production",
    );
    expect(detailOf(prod, "trust-policy")).not.toContain("environment:preview.");
    expect(detailOf(dev, "trust-policy")).toContain(
      "sub = owner:acme:project:web:environment:preview",
    );
    expect(prod?.events.map((e) => [e.sessionName, e.errorCode])).toEqual([
      ["vercel-production-dpl_prod1", null],
    ]);
    expect(dev?.events.map((e) => [e.sessionName, e.errorCode])).toEqual([
      ["vercel-preview-dpl_prev2", null],
    ]);
    expect(output.ok).toBe(true);
    expect(run.code).toBe(0);
    expect(secretsIn(run.stdout + run.stderr)).toEqual([]);
  });

  it("as the deploy workflow's job for one account: KEYLESS_ONLY_ACCOUNT, credentials from the environment", async () => {
    const key = keys.get(DEV);
    const run = await runVerifyCli(["--json"], {
      ...env(`production:${PROD},preview:${DEV},development:${DEV}`),
      KEYLESS_ONLY_ACCOUNT: DEV,
      AWS_ACCESS_KEY_ID: key?.id ?? "",
      AWS_SECRET_ACCESS_KEY: key?.secret ?? "",
    });
    const output = JSON.parse(run.stdout) as { ok: boolean; accounts: AccountReport[] };
    expect(output.accounts.map(({ account, environments }) => [account, environments])).toEqual([
      [DEV, ["preview", "development"]],
    ]);
    expect(checkOutcomes(output.accounts[0] as AccountReport)).toEqual(ALL_PASSED_WITHOUT_URL);
    expect(output.ok).toBe(true);
    expect(run.code).toBe(0);
    expect(secretsIn(run.stdout + run.stderr)).toEqual([]);
  });

  it("profiles swapped: each account's credentials check names the wrong account, exit 1, no secret printed", async () => {
    const run = await runVerifyCli([], env(accountsValue("dev", "prod")));
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const text = run.stdout.replace(/\s+/g, " ");
    expect(text).toContain(`== Account ${PROD} (production), profile dev ==`);
    expect(text).toContain(`== Account ${DEV} (preview, development), profile prod ==`);
    expect(text).toContain(
      `arn:aws:iam::${DEV}:user/keyless-verifier from profile dev is in account ${DEV}, but KEYLESS_ACCOUNTS puts production in ${PROD}. Fix: give that entry the profile of account ${PROD} (environment:account-id:profile).`,
    );
    expect(text).toContain(
      `arn:aws:iam::${PROD}:user/keyless-verifier from profile prod is in account ${PROD}, but KEYLESS_ACCOUNTS puts preview, development in ${DEV}.`,
    );
    // The other account's stack is never looked at with the wrong credentials.
    expect(text).toMatch(/Not checked: needs working AWS credentials of the stack's account/);
    expect(secretsIn(run.stdout + run.stderr)).toEqual([]);
  });
});
