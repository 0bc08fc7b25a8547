// The synthesized template deployed into moto (CloudFormation, IAM, S3) on the existing-provider
// path, then read back: outputs, and each role's trust policy as IAM stores it.

import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
} from "@aws-sdk/client-iam";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { loadInfraConfig } from "@repo/infra/config";
import { roleLogicalId } from "@repo/infra/keyless-stack";
import { synthesizeKeylessTemplate } from "@repo/infra/synth";
import { evaluateTrustPolicy } from "@repo/infra/trust/evaluate";
import { vercelIssuer } from "@repo/infra/vercel-naming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStackAndWait, ensureVercelOidcProvider } from "../src/deploy-template";
import { MOTO_ACCOUNT, type MotoServer, startMoto } from "../test-kit/moto";
import { SAMPLE_CONFIG } from "../test-kit/sample-config";

const SAMPLE = {
  ...SAMPLE_CONFIG,
  VERCEL_ENVIRONMENTS: "production,preview",
  VERCEL_TEAM_ID: "team_abc123",
  VERCEL_PROJECT_ID: "prj_def456",
};

describe("deploying the stack into moto", { timeout: 120_000 }, () => {
  let moto: MotoServer;
  let iam: IAMClient;
  let cfn: CloudFormationClient;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient(moto.clientConfig);
    cfn = new CloudFormationClient(moto.clientConfig);
    s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  }, 60_000);
  afterAll(async () => {
    for (const client of [iam, cfn, s3]) client?.destroy();
    await moto?.stop();
  }, 30_000);

  it("reaches CREATE_COMPLETE with the outputs and trust policies it was synthesized with", async () => {
    const providerArn = await ensureVercelOidcProvider(
      iam,
      vercelIssuer({ teamSlug: "acme", issuerMode: "team" }),
    );
    expect(providerArn).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/oidc.vercel.com/acme`);
    // Found again, not created twice.
    await expect(ensureVercelOidcProvider(iam, vercelIssuer({ teamSlug: "acme" }))).resolves.toBe(
      providerArn,
    );

    const config = loadInfraConfig({ ...SAMPLE, OIDC_PROVIDER_ARN: providerArn });
    const template = synthesizeKeylessTemplate(config);
    const deployed = await createStackAndWait(cfn, { stackName: config.stackName, template });

    const { outputs } = deployed;
    expect(outputs.Region).toBe("us-east-1");
    expect(outputs.BucketName).toMatch(/\S/);
    for (const environment of config.environments) {
      const suffix = environment === "production" ? "Production" : "Preview";
      const roleArn = outputs[`RoleArn${suffix}`] ?? "";
      expect(roleArn).toMatch(new RegExp(`^arn:aws:iam::${MOTO_ACCOUNT}:role/`));
      expect(outputs[`VercelEnv${suffix}`]).toBe(
        `AWS_REGION=us-east-1\nAWS_ROLE_ARN=${roleArn}\nS3_BUCKET=${outputs.BucketName}\nS3_PREFIX=${environment}/`,
      );

      const roleName = roleArn.split("/").pop() ?? "";
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
      const stored = JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ""));
      const synthesized =
        template.Resources[roleLogicalId(environment)]?.Properties?.AssumeRolePolicyDocument;
      expect(stored).toEqual(synthesized);
      expect(Role?.MaxSessionDuration).toBe(3600);

      // The stored policy admits this environment's token and no other environment's.
      const decide = (env: string) =>
        evaluateTrustPolicy(Role?.AssumeRolePolicyDocument ?? "", {
          principal: providerArn,
          action: "sts:AssumeRoleWithWebIdentity",
          context: {
            "oidc.vercel.com/acme:aud": "https://vercel.com/acme",
            "oidc.vercel.com/acme:sub": `owner:acme:project:web:environment:${env}`,
          },
        }).allowed;
      expect(decide(environment)).toBe(true);
      expect(decide(environment === "production" ? "preview" : "production")).toBe(false);

      // Its permissions, as IAM stores them: this bucket and its objects, nothing else.
      const { PolicyNames = [] } = await iam.send(
        new ListRolePoliciesCommand({ RoleName: roleName }),
      );
      expect(PolicyNames).toHaveLength(1);
      const { PolicyDocument = "" } = await iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: PolicyNames[0] }),
      );
      const bucketArn = `arn:aws:s3:::${outputs.BucketName}`;
      const statements = JSON.parse(decodeURIComponent(PolicyDocument)).Statement;
      const granted = /\/(production|preview|development)\/\*$/.exec(
        statements[1]?.Resource ?? "",
      )?.[1];
      expect(granted).toBe(environment);
      expect(statements).toEqual([
        {
          Action: "s3:ListBucket",
          Effect: "Allow",
          Resource: bucketArn,
          Condition: { StringLike: { "s3:prefix": [`${granted}/*`] } },
        },
        {
          Action: ["s3:GetObject", "s3:PutObject"],
          Effect: "Allow",
          Resource: `${bucketArn}/${granted}/*`,
        },
      ]);

      const { Tags = [] } = await iam.send(new ListRoleTagsCommand({ RoleName: roleName }));
      expect(Object.fromEntries(Tags.map((t) => [t.Key, t.Value]))).toMatchObject({
        VercelTeamId: "team_abc123",
        VercelProjectId: "prj_def456",
        VercelEnvironment: environment,
      });
    }

    // moto applies neither VersioningConfiguration nor bucket policies from a template, so those
    // are asserted on the template (stack.test.ts); here: the bucket exists.
    await expect(
      s3.send(new HeadBucketCommand({ Bucket: outputs.BucketName })),
    ).resolves.toBeDefined();
  });
});
