import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInfraConfig } from "../src/config";
import { createKeylessApp, KeylessStack } from "../src/keyless-stack";
import { type CfnTemplate, createKeylessAppFromConfig } from "../src/synth";
import { VercelOidcProvider, VercelOidcRole, vercelBrowserOrigins } from "../src/vercel-oidc";
import { SAMPLE_CONFIG } from "./helpers/sample-config";

const SAMPLE = SAMPLE_CONFIG;
const EXISTING_ARN = "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/acme";

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const outRoot = mkdtempSync(join(tmpdir(), "keyless-stack-test-"));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function synth(env: Record<string, string>) {
  const { app, stack } = createKeylessAppFromConfig(
    loadInfraConfig({ ...SAMPLE, ...env }),
    mkdtempSync(join(outRoot, "out-")),
  );
  const artifact = app.synth().getStackByName(stack.stackName);
  return { app, stack, artifact, template: artifact.template as CfnTemplate };
}

describe("the synthesized stack (all three environments, new provider)", {
  timeout: 60_000,
}, () => {
  let built: ReturnType<typeof synth>;
  let template: Template;
  beforeAll(() => {
    built = synth({
      VERCEL_ENVIRONMENTS: "production,preview,development",
      VERCEL_TEAM_ID: "team_abc123",
      VERCEL_PROJECT_ID: "prj_def456",
    });
    template = Template.fromJSON(built.template);
  }, 120_000);

  it("creates the native OIDC provider for the team issuer, audience as client id, no thumbprint", () => {
    template.resourceCountIs("AWS::IAM::OIDCProvider", 1);
    template.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: "https://oidc.vercel.com/acme",
      ClientIdList: ["https://vercel.com/acme"],
      ThumbprintList: Match.absent(),
    });
    template.resourceCountIs("AWS::Lambda::Function", 0);
  });

  it("has one role per environment, each trusting exactly one sub with StringEquals", () => {
    const roles = template.findResources("AWS::IAM::Role");
    expect(Object.keys(roles).sort()).toEqual([
      "VercelRoleDevelopment",
      "VercelRolePreview",
      "VercelRoleProduction",
    ]);
    const providerId = Object.keys(template.findResources("AWS::IAM::OIDCProvider"))[0];
    for (const environment of ["production", "preview", "development"]) {
      const id = `VercelRole${environment[0]?.toUpperCase()}${environment.slice(1)}`;
      expect(roles[id]?.Properties.AssumeRolePolicyDocument).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "sts:AssumeRoleWithWebIdentity",
            Principal: { Federated: { Ref: providerId } },
            Condition: {
              StringEquals: {
                "oidc.vercel.com/acme:aud": "https://vercel.com/acme",
                "oidc.vercel.com/acme:sub": `owner:acme:project:web:environment:${environment}`,
              },
            },
          },
        ],
      });
      expect(roles[id]?.Properties.MaxSessionDuration).toBe(3600);
      expect(roles[id]?.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: "VercelTeamId", Value: "team_abc123" },
          { Key: "VercelProjectId", Value: "prj_def456" },
          { Key: "VercelEnvironment", Value: environment },
        ]),
      );
    }
    const trust = Object.values(roles).map((r) => r.Properties.AssumeRolePolicyDocument);
    expect(JSON.stringify(trust)).not.toMatch(/StringLike|\*|\?/);
  });

  it("grants each role list/get/put on its own environment's prefix only: no delete, no wildcard action", () => {
    const policies = template.findResources("AWS::IAM::Policy");
    expect(Object.keys(policies)).toHaveLength(3);
    const bucketArn = { "Fn::GetAtt": ["AppBucket20FEBF1C", "Arn"] };
    const seen: string[] = [];
    for (const policy of Object.values(policies)) {
      const statements = policy.Properties.PolicyDocument.Statement as Statement[];
      const environment =
        JSON.stringify(statements).match(/"(production|preview|development)\/\*"/)?.[1] ?? "";
      seen.push(environment);
      expect(statements).toEqual([
        {
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: bucketArn,
          Condition: { StringLike: { "s3:prefix": [`${environment}/*`] } },
        },
        {
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: { "Fn::Join": ["", [bucketArn, `/${environment}/*`]] },
        },
      ]);
      for (const statement of statements) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
        expect(statement.Resource).not.toBe("*");
      }
    }
    expect(seen.sort()).toEqual(["development", "preview", "production"]);
  });

  it("keeps the bucket private, TLS-only, encrypted, versioned, logged and retained", () => {
    const buckets = template.findResources("AWS::S3::Bucket");
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.DeletionPolicy).toBe("Retain");
      expect(bucket.UpdateReplacePolicy).toBe("Retain");
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      });
      expect(bucket.Properties.AccessControl).toBeUndefined();
    }
    template.hasResource("AWS::S3::Bucket", {
      Properties: {
        VersioningConfiguration: { Status: "Enabled" },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: Match.stringLikeRegexp("^AppBucketAccessLogs") },
        },
        // Browser uploads to presigned URLs: production's domain exactly, this project's preview
        // URL shape, and next dev only because a development role exists.
        CorsConfiguration: {
          CorsRules: [
            Match.objectLike({
              AllowedMethods: ["PUT", "GET"],
              AllowedOrigins: [
                "https://web.vercel.app",
                "https://web-*-acme.vercel.app",
                "http://localhost:3000",
              ],
            }),
          ],
        },
      },
    });
    const tlsDeny = Match.objectLike({
      Effect: "Deny",
      Action: "s3:*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    for (const policy of Object.values(template.findResources("AWS::S3::BucketPolicy"))) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: "Deny" })]),
      );
    }
    template.resourcePropertiesCountIs(
      "AWS::S3::BucketPolicy",
      { PolicyDocument: { Statement: Match.arrayWith([tlsDeny]) } },
      2,
    );
  });

  it("outputs a role ARN per environment, the bucket, the region and the Vercel env lines", () => {
    const outputs = built.template.Outputs ?? {};
    expect(Object.keys(outputs).sort()).toEqual([
      "BucketName",
      "Region",
      "RoleArnDevelopment",
      "RoleArnPreview",
      "RoleArnProduction",
      "VercelEnvDevelopment",
      "VercelEnvPreview",
      "VercelEnvProduction",
    ]);
    expect(outputs.Region?.Value).toBe("us-east-1");
    expect(outputs.RoleArnPreview?.Value).toEqual({ "Fn::GetAtt": ["VercelRolePreview", "Arn"] });
    expect(JSON.stringify(outputs.VercelEnvPreview?.Value)).toContain("AWS_ROLE_ARN=");
    expect(outputs.VercelEnvPreview?.Description).toContain("preview only");
  });

  it("is clean under cdk-nag's AWS Solutions pack; every acknowledged finding has a reason", () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.stack);
    expect(report.violations).toEqual([]);
    const acknowledged = Object.values(built.template.Resources).flatMap(
      (resource) =>
        ((resource as { Metadata?: { cdk_nag?: { rules_to_suppress: unknown[] } } }).Metadata
          ?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[],
    );
    expect(acknowledged.map((a) => a.id)).toEqual(
      expect.arrayContaining(["AwsSolutions-S1", expect.stringMatching(/^AwsSolutions-IAM5\[/)]),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(20);
  });

  it("deploys without cdk bootstrap: no roles to assume, no assets, template passed inline", () => {
    expect(built.artifact.assumeRoleArn).toBeUndefined();
    expect(built.artifact.cloudFormationExecutionRoleArn).toBeUndefined();
    expect(built.artifact.requiresBootstrapStackVersion).toBeUndefined();
    expect(built.artifact.assets).toEqual([]);
    expect(built.template.Parameters).toBeUndefined();
    // The CLI uploads larger templates to the bootstrap bucket.
    expect(JSON.stringify(built.template).length).toBeLessThan(50 * 1024);
    expect(() =>
      built.stack.synthesizer.addFileAsset({
        sourceHash: "x",
        fileName: "x.zip",
        packaging: "zip" as never,
      }),
    ).toThrow(/without `cdk bootstrap`/);
  });
});

describe("variants", { timeout: 60_000 }, () => {
  it("reuses an existing provider: no provider resource, its ARN as the principal", () => {
    const { template } = synth({ OIDC_PROVIDER_ARN: EXISTING_ARN });
    const t = Template.fromJSON(template);
    t.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    t.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Federated: EXISTING_ARN } })],
      },
    });
  });

  it("global issuer mode: provider and condition keys for oidc.vercel.com, team audience", () => {
    const { template } = synth({ VERCEL_ISSUER_MODE: "global" });
    const t = Template.fromJSON(template);
    t.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: "https://oidc.vercel.com",
      ClientIdList: ["https://vercel.com/acme"],
    });
    t.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: {
                "oidc.vercel.com:aud": "https://vercel.com/acme",
                "oidc.vercel.com:sub": "owner:acme:project:web:environment:production",
              },
            },
          }),
        ],
      },
    });
  });
});

describe("props are validated at construction, naming the bad value", () => {
  const newStack = () => new Stack(new App(), "S");

  it("provider", () => {
    expect(() => new VercelOidcProvider(newStack(), "P", { teamSlug: "Acme" })).toThrow(
      /"Acme" has capital letters/,
    );
    expect(
      () =>
        new VercelOidcProvider(newStack(), "P", {
          teamSlug: "acme",
          issuerMode: "teams" as never,
        }),
    ).toThrow(/"teams" must be "team" or "global"/);
    expect(() =>
      VercelOidcProvider.fromProviderArn(
        newStack(),
        "P",
        "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/other",
        { teamSlug: "acme" },
      ),
    ).toThrow(/oidc\.vercel\.com\/other.*https:\/\/oidc\.vercel\.com\/acme/);
  });

  it("role", () => {
    const stack = newStack();
    const provider = new VercelOidcProvider(stack, "P", { teamSlug: "acme" });
    const role = (props: Partial<ConstructorParameters<typeof VercelOidcRole>[2]>, id: string) =>
      new VercelOidcRole(stack, id, {
        provider,
        projectName: "web",
        environment: "production",
        ...props,
      });
    expect(() => role({ environment: "Staging" }, "A")).toThrow(
      /"Staging" is not a Vercel environment.*try "staging"/,
    );
    expect(() => role({ projectName: "My App" }, "B")).toThrow(/"My App" has capital letters/);
    expect(() => role({ teamId: "acme" }, "C")).toThrow(/teamId "acme" must look like team_/);
    expect(() => role({ projectId: "web" }, "D")).toThrow(/projectId "web" must look like prj_/);
    expect(role({}, "E").subject).toBe("owner:acme:project:web:environment:production");
  });

  it("stack", () => {
    const props = { teamSlug: "acme", projectName: "web" };
    expect(() => new KeylessStack(new App(), "S", { ...props, environments: [] })).toThrow(
      /environments is empty/,
    );
    expect(
      () => new KeylessStack(new App(), "S", { ...props, environments: ["preview", "preview"] }),
    ).toThrow(/"preview" is listed twice/);
    expect(() =>
      createKeylessApp(
        { ...props, environments: ["production"], existingProviderArn: "arn:aws:iam::1:x" },
        { stackName: "S", region: "us-east-1" },
      ),
    ).toThrow(/"arn:aws:iam::1:x" is not an OIDC provider ARN/);
  });
});

describe("vercelBrowserOrigins: CORS as narrow as S3 allows", () => {
  const base = { teamSlug: "acme", projectName: "web" };
  it("production alone answers only production's domains, exactly (no preview, no localhost)", () => {
    expect(vercelBrowserOrigins({ ...base, environments: ["production"] })).toEqual([
      "https://web.vercel.app",
    ]);
    expect(
      vercelBrowserOrigins({
        ...base,
        environments: ["production"],
        productionDomains: ["web.example.com", "www.example.com"],
      }),
    ).toEqual(["https://web.example.com", "https://www.example.com"]);
  });

  it("adds the preview URL shape and localhost only for environments that have a role", () => {
    expect(vercelBrowserOrigins({ ...base, environments: ["preview"] })).toEqual([
      "https://web-*-acme.vercel.app",
    ]);
    expect(vercelBrowserOrigins({ ...base, environments: ["development"] })).toEqual([
      "http://localhost:3000",
    ]);
  });
});

describe("a custom environment (VERCEL_ENVIRONMENTS=production,staging)", {
  timeout: 60_000,
}, () => {
  let template: Template;
  let outputs: NonNullable<CfnTemplate["Outputs"]>;
  beforeAll(() => {
    const built = synth({ VERCEL_ENVIRONMENTS: "production,staging" });
    template = Template.fromJSON(built.template);
    outputs = built.template.Outputs ?? {};
  }, 120_000);

  it("gets its own role trusting its own sub, its own data prefix and its own Vercel env lines", () => {
    const roles = template.findResources("AWS::IAM::Role");
    expect(Object.keys(roles).sort()).toEqual(["VercelRoleProduction", "VercelRoleStaging"]);
    const trust = roles.VercelRoleStaging?.Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Condition).toEqual({
      StringEquals: {
        "oidc.vercel.com/acme:aud": "https://vercel.com/acme",
        "oidc.vercel.com/acme:sub": "owner:acme:project:web:environment:staging",
      },
    });
    const policies = JSON.stringify(template.findResources("AWS::IAM::Policy"));
    expect(policies).toContain('"staging/*"');
    expect(outputs.RoleArnStaging?.Value).toEqual({ "Fn::GetAtt": ["VercelRoleStaging", "Arn"] });
    expect(JSON.stringify(outputs.VercelEnvStaging?.Value)).toContain("S3_PREFIX=staging/");
  });

  it("lets pages of its deployments (preview-shaped URLs) upload, without a preview role", () => {
    expect(
      vercelBrowserOrigins({ teamSlug: "acme", projectName: "web", environments: ["staging"] }),
    ).toEqual(["https://web-*-acme.vercel.app"]);
    expect(
      vercelBrowserOrigins({
        teamSlug: "acme",
        projectName: "web",
        environments: ["preview", "staging"],
      }),
    ).toEqual(["https://web-*-acme.vercel.app"]);
  });
});
