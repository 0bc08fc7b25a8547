// `pnpm infra:deploy` end to end: the wrapper prints the trust, then the real aws-cdk CLI deploys
// into moto (AWS_ENDPOINT_URL) — into an account that was never bootstrapped.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetRoleCommand, IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { loadInfraConfig } from "@repo/infra/config";
import { synthesizeKeylessTemplate } from "@repo/infra/synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureVercelOidcProvider } from "../src/deploy-template";
import { type MotoServer, startMoto } from "../test-kit/moto";
import { isolatedInfraEnv, SAMPLE_CONFIG, sampleSubject } from "../test-kit/sample-config";

const INFRA = fileURLToPath(new URL("../../stack", import.meta.url));
const SAMPLE = SAMPLE_CONFIG;
const PROD_SUB = sampleSubject("production");

describe("bin/cdk.ts (infra:synth|deploy|diff|destroy)", { timeout: 240_000 }, () => {
  let home: string;
  let baseEnv: NodeJS.ProcessEnv;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "keyless-cdk-home-"));
    // Every infra variable explicit (a developer's .env must not change the outcome) and a
    // throwaway HOME, so no ~/.aws profile or CDK cache takes part.
    baseEnv = isolatedInfraEnv({ ...SAMPLE, HOME: home, AWS_EC2_METADATA_DISABLED: "true" });
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const cdk = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(join(INFRA, "node_modules/.bin/tsx"), ["bin/cdk.ts", ...args], {
      cwd: INFRA,
      env: { ...baseEnv, ...env },
      encoding: "utf8",
    });

  it("an unknown command → usage, exit 2", () => {
    const result = cdk(["deplyo"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("<synth|deploy|diff|destroy>");
  });

  it("a configuration error stops before the CDK CLI runs, exit 2, no stack trace", () => {
    const result = cdk(["deploy"], { VERCEL_PROJECT_NAME: "" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("VERCEL_PROJECT_NAME: missing");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toContain("will trust");
  });

  it("without working credentials: one line naming the fix, exit 1, before the CDK CLI runs", () => {
    const result = cdk(["deploy"]);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^No working AWS credentials from the default credential chain/);
    expect(lines[0]).toContain("AWS_PROFILE");
    expect(lines[0]).toContain("aws sso login");
    expect(result.stderr).not.toContain("Unable to resolve AWS account");
    expect(result.stdout).not.toContain("will trust");
  });

  describe("deploy into moto, never bootstrapped", () => {
    let moto: MotoServer;
    let outdir: string;
    beforeAll(async () => {
      moto = await startMoto();
      outdir = mkdtempSync(join(tmpdir(), "keyless-cdk-out-"));
    }, 60_000);
    afterAll(async () => {
      await moto?.stop();
      if (outdir) rmSync(outdir, { recursive: true, force: true });
    }, 30_000);

    it("prints the trust, deploys with the CLI's own credentials, roles carry that trust", async () => {
      const iam = new IAMClient(moto.clientConfig);
      const cfn = new CloudFormationClient(moto.clientConfig);
      try {
        const providerArn = await ensureVercelOidcProvider(
          iam,
          loadInfraConfig(SAMPLE), // issuer and audience of the sample team
        );
        const result = cdk(["deploy", "--require-approval", "never", "--output", outdir], {
          OIDC_PROVIDER_ARN: providerArn,
          AWS_ENDPOINT_URL: moto.endpoint,
          // moto accepts any credentials; these are obviously not real ones.
          AWS_ACCESS_KEY_ID: "testing",
          AWS_SECRET_ACCESS_KEY: "testing",
        });
        expect(result.stderr + result.stdout).not.toMatch(/bootstrap/i);
        expect(result.status).toBe(0);
        expect(result.stdout).toContain(`existing OIDC provider ${providerArn}`);
        expect(result.stdout).toContain(`oidc.vercel.com/acme:sub = ${PROD_SUB}`);
        // What the role may do, read from the template being deployed: its prefix, no delete.
        expect(result.stdout).toMatch(
          /s3:GetObject, s3:PutObject on <AppBucket\w*>\/production\/\*/,
        );
        const grants = result.stdout.split("\n").filter((line) => line.includes(" on <AppBucket"));
        expect(grants.length).toBeGreaterThan(0);
        for (const line of grants) expect(line).not.toMatch(/Delete/);

        const { Stacks = [] } = await cfn.send(
          new DescribeStacksCommand({ StackName: "KeylessVercelOidc" }),
        );
        expect(Stacks[0]?.StackStatus).toBe("CREATE_COMPLETE");

        const { Roles = [] } = await iam.send(new ListRolesCommand({}));
        const role = Roles.find((r) => r.RoleName?.startsWith("KeylessVercelOidc-VercelRoleProd"));
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: role?.RoleName }));
        const template = synthesizeKeylessTemplate(
          loadInfraConfig({ ...SAMPLE, OIDC_PROVIDER_ARN: providerArn }),
        );
        expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ""))).toEqual(
          template.Resources.VercelRoleProduction?.Properties?.AssumeRolePolicyDocument,
        );
      } finally {
        iam.destroy();
        cfn.destroy();
      }
    });
  });
});
