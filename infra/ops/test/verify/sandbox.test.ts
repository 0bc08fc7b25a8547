// `pnpm verify` as users run it (a child process), against the sandbox: the same stack deployed
// into moto, exchanges decided and logged to CloudTrail by the gateway. First a working
// deployment, then one broken thing at a time, each restored before the next.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { startTestSandbox, type TestSandbox } from "@repo/sandbox/test-kit/sandbox";
import { SANDBOX_VERCEL_TOKEN } from "@repo/sandbox/vercel-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxEnv } from "../../src/sandbox-target";
import { runVercelEnv } from "../../src/setup/vercel-env-command";
import { collector } from "../helpers/streams";
import {
  ALL_PASSED_WITHOUT_URL,
  checkOutcomes,
  exchangeAsDeployment,
  failingChecks,
  runVerifyCli,
  startHealthApp,
  startQuotaBurningProxy,
  TEAM_ENV,
  verifyEnv,
  verifyInProcess,
} from "../helpers/verify-harness";

const PROVIDER_HOST_PATH = "oidc.vercel.com/acme";
const AUDIENCE = "https://vercel.com/acme";

describe("pnpm verify against the sandbox", { timeout: 90_000 }, () => {
  let sandbox: TestSandbox;
  let stateDir: string;
  let iam: IAMClient;
  const roleName = (environment: "production" | "preview") =>
    (sandbox.roleArns[environment] ?? "").split("/").pop() ?? "";

  beforeAll(async () => {
    sandbox = await startTestSandbox({ env: TEAM_ENV, seed: false });
    stateDir = sandbox.stateDir;
    iam = new IAMClient({
      region: sandbox.region,
      // moto enforces IAM: the sandbox's placeholder key, which the gateway signs as its admin.
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    // A production deployment's first AWS call: one exchange, logged with its session name.
    await exchangeAsDeployment(sandbox, "dpl_verify1");
  }, 180_000);

  afterAll(async () => {
    iam?.destroy();
    await sandbox?.stop();
  });

  it("after an exchange by the aws-auth provider, every check passes and an event names the deployment", async () => {
    const run = await runVerifyCli(["--json", "--wait", "2s"], verifyEnv(sandbox));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    expect(run.report?.ok).toBe(true);
    expect(checkOutcomes(run.report)).toEqual(ALL_PASSED_WITHOUT_URL);
    expect(run.report?.events).toContainEqual(
      expect.objectContaining({
        roleArn: sandbox.roleArns.production,
        sessionName: "vercel-production-dpl_verify1",
        subject: "owner:acme:project:web:environment:production",
        region: "us-east-1",
        errorCode: null,
      }),
    );
  });

  it("--url: the app's /api/health is ok with the stack's role, and its exchange shows up in CloudTrail", async () => {
    const app = await startHealthApp(sandbox, "dpl_health7");
    try {
      const run = await runVerifyCli(
        ["--json", "--url", app.url, "--wait", "5s"],
        verifyEnv(sandbox),
      );
      expect(run.code).toBe(0);
      const health = run.report?.checks.find((check) => check.name === "health");
      expect(health?.ok).toBe(true);
      expect(health?.detail).toContain(
        `assumed the production role ${sandbox.roleArns.production}`,
      );
      expect(run.report?.events.map((event) => event.sessionName)).toContain(
        "vercel-production-dpl_health7",
      );
    } finally {
      await app.close();
    }
  });

  it("prints a plain table when stdout is not a terminal, failed exchanges explained", async () => {
    // A preview deployment that was given the production role: refused, and logged as such.
    await expect(exchangeAsDeployment(sandbox, "dpl_preview3", "preview")).rejects.toThrow(
      /Not authorized to perform sts:AssumeRoleWithWebIdentity/,
    );
    const run = await runVerifyCli([], { ...verifyEnv(sandbox), NO_COLOR: "" });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\u001b[");
    expect(run.stdout).toMatch(/ 1\. ok\s+credentials/);
    expect(run.stdout).toMatch(/vercel-production-dpl_verify1\s+127\.0\.0\.1\s+us-east-1\s+ok/);
    expect(run.stdout.replace(/\s+/g, " ")).toMatch(
      /AccessDenied .*The role expects sub="owner:acme:project:web:environment:production"/,
    );
    expect(run.stdout).toContain("All 6 checks passed.");
  });

  it("a stack that is not there fails the stack check, and what needs its roles is not checked", async () => {
    const run = await runVerifyCli(
      ["--json"],
      verifyEnv(sandbox, { KEYLESS_STACK_NAME: "NoSuchStack" }),
    );
    expect(run.code).toBe(1);
    expect(failingChecks(run.report)).toEqual([
      "stack",
      "trust-policy",
      "permissions",
      "cloudtrail",
    ]);
    expect(run.report?.checks[1]?.detail).toMatch(
      /NoSuchStack does not exist in region us-east-1 of account \d{12}/,
    );
    expect(run.report?.checks[3]?.detail).toMatch(/^Not checked/);
  });

  it("a missing OIDC provider fails the provider check only", async () => {
    await iam.send(
      new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: sandbox.providerArn }),
    );
    try {
      const report = await verifyInProcess(sandbox);
      expect(failingChecks(report)).toEqual(["oidc-provider"]);
      expect(report.checks[2]?.detail).toMatch(
        /No IAM OIDC provider for https:\/\/oidc\.vercel\.com\/acme/,
      );
    } finally {
      await restoreProvider([AUDIENCE]);
    }
  });

  it("a provider without the audience fails the provider check only", async () => {
    await iam.send(
      new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: sandbox.providerArn }),
    );
    await restoreProvider(["sts.amazonaws.com"]);
    try {
      const report = await verifyInProcess(sandbox);
      expect(failingChecks(report)).toEqual(["oidc-provider"]);
      expect(report.checks[2]?.detail).toMatch(
        /do not contain the audience https:\/\/vercel\.com\/acme/,
      );
    } finally {
      await iam.send(
        new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: sandbox.providerArn }),
      );
      await restoreProvider([AUDIENCE]);
    }
  });

  it("a trust policy with a wildcard sub fails the trust check only", async () => {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName("production") }));
    const original = decodeURIComponent(Role?.AssumeRolePolicyDocument ?? "");
    const widened = JSON.parse(original);
    widened.Statement[0].Condition = {
      StringEquals: { [`${PROVIDER_HOST_PATH}:aud`]: AUDIENCE },
      StringLike: { [`${PROVIDER_HOST_PATH}:sub`]: "owner:acme:project:web:*" },
    };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName("production"),
        PolicyDocument: JSON.stringify(widened),
      }),
    );
    try {
      const report = await verifyInProcess(sandbox);
      expect(failingChecks(report)).toEqual(["trust-policy"]);
      const detail = report.checks[3]?.detail ?? "";
      expect(detail).toMatch(/sub is matched by StringLike with a wildcard/);
      expect(detail).toMatch(
        /this project, development: allowed by the production role, should be denied/,
      );
    } finally {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: roleName("production"),
          PolicyDocument: original,
        }),
      );
    }
  });

  it("a role with s3:* fails the permissions check only", async () => {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName("preview"),
        PolicyName: "AddedByHand",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
        }),
      }),
    );
    try {
      const report = await verifyInProcess(sandbox);
      expect(failingChecks(report)).toEqual(["permissions"]);
      expect(report.checks[4]?.detail).toMatch(
        /preview role .*Action "s3:\*" is a wildcard in inline policy AddedByHand/,
      );
    } finally {
      await iam.send(
        new DeleteRolePolicyCommand({ RoleName: roleName("preview"), PolicyName: "AddedByHand" }),
      );
    }
  });

  it("a preview role widened to production's prefix fails the permissions check, naming the statement", async () => {
    const widening = {
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${sandbox.bucket}/production/*`,
    };
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName("preview"),
        PolicyName: "Widened",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [widening] }),
      }),
    );
    try {
      const report = await verifyInProcess(sandbox);
      expect(failingChecks(report)).toEqual(["permissions"]);
      const detail = report.checks[4]?.detail ?? "";
      expect(detail).toMatch(/preview role .*outside [\w.-]+\/preview\/ \(inline policy Widened\)/);
      expect(detail).toContain(`${sandbox.bucket}/production/*`);
    } finally {
      await iam.send(
        new DeleteRolePolicyCommand({ RoleName: roleName("preview"), PolicyName: "Widened" }),
      );
    }
  });

  it("--vercel on the sandbox's Vercel API: fails as a project starts, passes after `vercel:env --sandbox --apply`, fails naming a switch turned off", async () => {
    // The sandbox serves a stand-in of Vercel's API with the configured project as a project
    // imported by hand starts: OIDC off, the repository root, an older Node.js, no variables.
    const env = verifyEnv(sandbox, {
      VERCEL_API_URL: sandbox.vercelApi.url,
      VERCEL_TOKEN: SANDBOX_VERCEL_TOKEN,
    });
    const verify = () => runVerifyCli(["--json", "--vercel", "--wait", "0s"], env);
    const before = await verify();
    expect(before.code).toBe(1);
    expect(failingChecks(before.report)).toEqual(["vercel-project"]);
    const detail = before.report?.checks.find((c) => c.name === "vercel-project")?.detail;
    expect(detail).toContain(
      "OIDC federation (Settings → Security) is off, not on, issuer mode team",
    );
    expect(detail).toContain("Root Directory (Settings → Build and Deployment) is (not set)");
    expect(detail).toContain("ENABLE_EXPERIMENTAL_COREPACK is not set for production, preview");
    expect(detail).toContain("Fix: `pnpm vercel:env --apply`");

    // As the rehearsal runs it: --sandbox finds the stack and the stand-in through the sandbox's
    // state; the values come from the stack's own resources.
    const out = collector();
    const err = collector();
    const applied = await runVercelEnv({
      argv: ["--sandbox", "--apply"],
      environment: { ...TEAM_ENV, KEYLESS_ENV_FILE: join(stateDir, "no-such.env") },
      stdout: out.stream,
      stderr: err.stream,
      sandboxStateDir: stateDir,
    });
    expect(err.text()).toBe("");
    expect(applied).toBe(0);
    expect(
      sandbox.vercelApi.envs.find(
        (e) => e.key === "AWS_ROLE_ARN" && e.target.includes("production"),
      )?.value,
    ).toBe(sandbox.roleArns.production);
    const after = await verify();
    expect(after.code).toBe(0);
    expect(checkOutcomes(after.report)).toContainEqual(["vercel-project", true]);

    sandbox.vercelApi.settings.oidcTokenConfig = { enabled: false, issuerMode: "team" };
    const off = await verify();
    expect(off.code).toBe(1);
    expect(failingChecks(off.report)).toEqual(["vercel-project"]);
    // Only the switch that is off, named with where to turn it on.
    expect(off.report?.checks.find((c) => c.name === "vercel-project")?.detail).toBe(
      "web (team acme): OIDC federation (Settings → Security) is off, not on, issuer mode team. Fix: `pnpm vercel:env --apply`, then redeploy.",
    );
    sandbox.vercelApi.settings.oidcTokenConfig = { enabled: true, issuerMode: "team" };
  });

  it("throttling during polling: LookupEvents refused at 2 requests/s is retried and verify still completes", async () => {
    const proxy = await startQuotaBurningProxy(sandbox.endpoint);
    try {
      const before = sandbox.stats().cloudTrailThrottled;
      const run = await runVerifyCli(
        ["--json", "--wait", "5s"],
        verifyEnv(sandbox, { AWS_ENDPOINT_URL: proxy.url }),
      );
      expect(proxy.burned()).toBe(2);
      expect(sandbox.stats().cloudTrailThrottled).toBeGreaterThan(before);
      expect(run.code).toBe(0);
      expect(run.report?.checks.at(-1)).toMatchObject({ name: "cloudtrail", ok: true });
      expect(run.report?.checks.at(-1)?.detail).toMatch(/throttled \d+× and retried/);
    } finally {
      await proxy.close();
    }
  });

  it("no successful event within --wait fails the CloudTrail check only", async () => {
    sandbox.cloudTrail.clear();
    const report = await verifyInProcess(sandbox, {}, { waitMs: 2000 });
    expect(failingChecks(report)).toEqual(["cloudtrail"]);
    expect(report.checks.at(-1)?.detail).toMatch(
      /No successful AssumeRoleWithWebIdentity .*waited 2s/,
    );
    expect(report.events).toEqual([]);
  });

  it("--url on a failing app: health fails with the app's explanation, and the default wait is skipped", async () => {
    // A preview deployment given the production role: every request answers 503.
    const app = await startHealthApp(sandbox, "dpl_broken5", "preview");
    try {
      sandbox.cloudTrail.clear();
      const report = await verifyInProcess(
        sandbox,
        {},
        { url: app.url, waitMs: 300_000, waitOnlyIfHealthy: true },
      );
      expect(failingChecks(report)).toEqual(["health", "cloudtrail"]);
      expect(report.checks[5]?.detail).toMatch(
        /answered 503, ok=false, mode vercel-oidc: Not authorized to perform sts:AssumeRoleWithWebIdentity \(trust-denied\)/,
      );
      expect(report.checks[6]?.detail).toMatch(/looked once/);
      expect(report.events).toContainEqual(
        expect.objectContaining({
          sessionName: "vercel-preview-dpl_broken5",
          errorCode: "AccessDenied",
        }),
      );
    } finally {
      await app.close();
    }
  });

  it("--sandbox points the same checks at a running sandbox, and says so when none runs", async () => {
    const pointed = await sandboxEnv({ VERCEL_TEAM_SLUG: "", AWS_PROFILE: "dev" }, stateDir);
    expect(pointed).toMatchObject({
      VERCEL_TEAM_SLUG: "acme",
      VERCEL_PROJECT_NAME: "web",
      AWS_ENDPOINT_URL: sandbox.endpoint,
      KEYLESS_STACK_NAME: sandbox.stackName,
      AWS_PROFILE: undefined,
    });
    const empty = await mkdtemp(join(tmpdir(), "keyless-verify-nosandbox-"));
    try {
      await expect(sandboxEnv({}, empty)).rejects.toThrow(/no sandbox is running.*pnpm sandbox/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  async function restoreProvider(clientIds: string[]) {
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${PROVIDER_HOST_PATH}`,
        ClientIDList: clientIds,
      }),
    );
  }
});
