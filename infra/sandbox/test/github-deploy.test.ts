// The deploy path of .github/workflows/deploy.yml, offline: a GitHub Actions-shaped token assumes
// the stack's deploy role through the gateway (signature, provider, audience, the deployed trust
// via the trust evaluator), then those credentials run `pnpm verify` against the sandbox. Every
// call it makes is recorded at the gateway and checked against the deploy role's deployed policy,
// action and resource.
//
// `pnpm infra:deploy` with these credentials is not run here: the CDK CLI updates a stack through
// a change set, and moto 5.2.1 breaks on it (DeleteChangeSet of a change set that does not exist
// answers an HTML 500; with one made first, the next call says "Stack with id
// cdk-deploy-change-set does not exist"). Creating a stack with the CLI is tested in
// cdk-deploy.test.ts.
//
// moto authorizes non-S3 calls against resource "*" only (moto/core/authorization.py passes
// resource="*" for every non-S3 service), so a policy scoped to the stack's ARNs is refused
// everything there: moto's enforcement is off in this file and the gateway's record is checked
// instead. Not checked offline: the calls CloudFormation makes on the caller's behalf (moto
// creates resources without authorizing them), S3 bucket-configuration actions, and the deploy
// boundary's effect (moto stores a role's permissions boundary but never evaluates it; the
// stack's test/github-boundary.test.ts evaluates it on the template).

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, type Credentials, STSClient } from "@aws-sdk/client-sts";
import { githubAppBoundaryName, githubDeployBoundaryName } from "@repo/infra/github-naming";
import { type PolicyStatement, wildcardMatches } from "@repo/infra/trust/evaluate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayCall } from "../src/gateway";
import { type GithubMintOptions, type SandboxHandle, startSandbox } from "../src/index";
import { isolatedInfraEnv } from "../test-kit/sample-config";

const OPS_DIR = fileURLToPath(new URL("../../ops", import.meta.url));
const CONFIG = isolatedInfraEnv({
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
  KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
});

let sandbox: SandboxHandle;
let stateDir: string;
let home: string;
const calls: GatewayCall[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "keyless-github-deploy-"));
  home = await mkdtemp(join(tmpdir(), "keyless-github-home-"));
  sandbox = await startSandbox({
    stateDir,
    env: CONFIG,
    seed: false,
    enforceIam: false,
    onCall: (call) => calls.push(call),
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  await rm(stateDir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

async function assumeDeployRole(options: GithubMintOptions): Promise<Credentials> {
  const sts = new STSClient({ region: sandbox.region, endpoint: sandbox.endpoint, maxAttempts: 1 });
  try {
    const answer = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: sandbox.githubDeployRoleArn,
        RoleSessionName: "github-deploy-4000004-1",
        WebIdentityToken: await sandbox.mintGithubToken(options),
      }),
    );
    if (!answer.Credentials) throw new Error("no credentials");
    return answer.Credentials;
  } finally {
    sts.destroy();
  }
}

describe("the GitHub Actions deploy path against the sandbox", { timeout: 240_000 }, () => {
  it("refuses even deploy.yml on main until the repository's sub names the workflow", async () => {
    await expect(assumeDeployRole({ branch: "main" })).rejects.toMatchObject({
      name: "AccessDenied",
    });
    // `pnpm github:oidc --sandbox --apply`, as the docs rehearse it: the sandbox's GitHub API.
    const applied = await new Promise<{ status: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          join(OPS_DIR, "node_modules/.bin/tsx"),
          ["bin/github-oidc.ts", "--sandbox", "--apply"],
          {
            cwd: OPS_DIR,
            env: { ...CONFIG, HOME: home, KEYLESS_SANDBOX_DIR: stateDir },
            encoding: "utf8",
            timeout: 120_000,
          },
          (error, stdout, stderr) =>
            resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      },
    );
    expect(applied).toMatchObject({ status: 0, stderr: "" });
    expect(applied.stdout).toContain(
      `~ PUT {"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}`,
    );
    expect(sandbox.githubApi.customizations.get("acme/keyless")).toMatchObject({
      useDefault: false,
    });
  });

  it.each([
    ["another workflow on main", { workflow: ".github/workflows/chatops.yml" }, "AccessDenied"],
    [
      "a workflow_run job on the default branch",
      { workflow: ".github/workflows/ci-report.yml" },
      "AccessDenied",
    ],
    ["GitHub's default sub (customization undone)", { subjectForm: "default" }, "AccessDenied"],
    ["another branch", { branch: "dev" }, "AccessDenied"],
    ["a pull request", { pullRequest: true }, "AccessDenied"],
    ["another repository", { repository: "acme/other" }, "AccessDenied"],
    ["a fork", { repository: "mallory/keyless" }, "AccessDenied"],
    ["a look-alike owner", { repository: "acme-evil/keyless" }, "AccessDenied"],
    ["a job in a GitHub environment", { environment: "production" }, "AccessDenied"],
    [
      "GitHub's default audience",
      { audience: "https://github.com/acme" },
      "InvalidIdentityTokenException",
    ],
  ] as const)("%s is refused (%s)", async (_label, options, name) => {
    await expect(assumeDeployRole(options)).rejects.toMatchObject({ name });
  });

  it("deploy.yml on main assumes the role; verify runs with only its permissions", async () => {
    const credentials = await assumeDeployRole({ branch: "main" });
    const events = sandbox.cloudTrail.events().filter((e) => !e.errorCode);
    expect(events.at(-1)?.userIdentity.userName).toBe(
      "repo:acme/keyless:ref:refs/heads/main:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
    );

    const asDeployRole = {
      ...CONFIG,
      HOME: home,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL: sandbox.endpoint,
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId ?? "",
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey ?? "",
      AWS_SESSION_TOKEN: credentials.SessionToken ?? "",
      // The existing-provider path the sandbox deployed with (moto skips AWS::IAM::OIDCProvider).
      OIDC_PROVIDER_ARN: sandbox.providerArn,
      KEYLESS_GITHUB_OIDC_PROVIDER_ARN: `arn:aws:iam::${sandbox.accountId}:oidc-provider/token.actions.githubusercontent.com`,
    };
    // Asynchronous: the gateway answering these children runs in this very process.
    const run = (dir: string, args: string[], env: Record<string, string> = asDeployRole) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          join(dir, "node_modules/.bin/tsx"),
          args,
          { cwd: dir, env, encoding: "utf8", timeout: 120_000 },
          (error, stdout, stderr) =>
            resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });

    const verify = await run(OPS_DIR, ["bin/verify.ts", "--json"]);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c.ok]));
    expect(byName).toMatchObject({
      stack: true,
      "oidc-provider": true,
      "trust-policy": true,
      permissions: true,
    });

    const mine = calls.filter((call) => call.accessKeyId === credentials.AccessKeyId);
    const actions = new Set(mine.map((call) => `${call.service}:${call.action}`));
    for (const expected of [
      "cloudformation:DescribeStacks",
      "cloudformation:DescribeStackResources",
      "iam:ListOpenIDConnectProviders",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:GetOpenIDConnectProvider",
      "cloudtrail:LookupEvents",
    ]) {
      expect(actions).toContain(expected);
    }
    const statements = await deployedPolicy();
    const refused = mine
      .map((call) => ({ call, resource: resourceOf(call) }))
      .filter(
        ({ call, resource }) => !allows(statements, `${call.service}:${call.action}`, resource),
      )
      .map(({ call, resource }) => `${call.service}:${call.action} on ${resource}`);
    expect(refused).toEqual([]);
  });

  // moto stores the boundaries and returns them; it does not evaluate them (the stack's tests do).
  it("the deploy role carries the deploy boundary, the Vercel roles the app boundary", async () => {
    const iam = motoIam();
    const policyArn = (name: string) => `arn:aws:iam::${sandbox.accountId}:policy/${name}`;
    try {
      const deployBoundary = policyArn(githubDeployBoundaryName(sandbox.stackName));
      const appBoundary = policyArn(githubAppBoundaryName(sandbox.stackName));
      for (const arn of [deployBoundary, appBoundary]) {
        const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
        expect(Policy?.Arn).toBe(arn);
      }
      const boundaryOf = async (arn: string | undefined) => {
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: arn?.split("/").pop() }));
        return Role?.PermissionsBoundary?.PermissionsBoundaryArn;
      };
      expect(await boundaryOf(sandbox.githubDeployRoleArn)).toBe(deployBoundary);
      const vercelRoles = Object.values(sandbox.roleArns);
      expect(vercelRoles).toHaveLength(1);
      for (const arn of vercelRoles) expect(await boundaryOf(arn)).toBe(appBoundary);
    } finally {
      iam.destroy();
    }
  });
});

const motoIam = () =>
  new IAMClient({
    region: sandbox.region,
    endpoint: sandbox.motoEndpoint,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  });

async function deployedPolicy(): Promise<PolicyStatement[]> {
  const iam = motoIam();
  try {
    const roleName = sandbox.githubDeployRoleArn?.split("/").pop();
    const { PolicyNames = [] } = await iam.send(
      new ListRolePoliciesCommand({ RoleName: roleName }),
    );
    const statements: PolicyStatement[] = [];
    for (const name of PolicyNames) {
      const { PolicyDocument = "" } = await iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
      );
      statements.push(...[JSON.parse(decodeURIComponent(PolicyDocument)).Statement].flat());
    }
    return statements;
  } finally {
    iam.destroy();
  }
}

/** The resource IAM authorizes each recorded call against. */
function resourceOf(call: GatewayCall): string {
  const account = sandbox.accountId;
  const p = call.params;
  if (call.service === "cloudformation" && p.StackName) {
    return p.StackName.startsWith("arn:")
      ? p.StackName
      : `arn:aws:cloudformation:${sandbox.region}:${account}:stack/${p.StackName}/id`;
  }
  if (call.service === "iam" && p.RoleName) return `arn:aws:iam::${account}:role/${p.RoleName}`;
  if (call.service === "iam" && p.OpenIDConnectProviderArn) return p.OpenIDConnectProviderArn;
  return "*";
}

function allows(statements: PolicyStatement[], action: string, resource: string): boolean {
  const list = (v: unknown) => [v].flat().map(String);
  if (action === "sts:GetCallerIdentity") return true; // IAM never restricts it
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      list(s.Action).some((a) => wildcardMatches(a, action, true)) &&
      list((s as { Resource?: unknown }).Resource).some((r) => wildcardMatches(r, resource)),
  );
}
