import { App } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, describe, expect, it } from "vitest";
import { DEPLOY_DENIALS, DEPLOY_PERMISSIONS } from "../src/github-oidc";
import { KeylessStack } from "../src/keyless-stack";
import { githubSynthesizer } from "./helpers/github-synth";

const GITHUB_ARN = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const { synth, cleanup } = githubSynthesizer();
afterAll(cleanup);

describe("the GitHub Actions deploy role", { timeout: 60_000 }, () => {
  it("is absent unless KEYLESS_GITHUB_REPOSITORY is set", () => {
    const { template } = synth({ KEYLESS_GITHUB_REPOSITORY: "" });
    expect(Object.keys(template.findResources("AWS::IAM::Role"))).not.toContain("GithubDeployRole");
    const urls = Object.values(template.findResources("AWS::IAM::OIDCProvider")).map(
      (r) => r.Properties.Url,
    );
    expect(urls).toEqual(["https://oidc.vercel.com/acme"]);
  });

  it("adds GitHub's provider and trusts exactly aud sts.amazonaws.com and deploy.yml on the default branch", () => {
    const { template, raw } = synth();
    template.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: "https://token.actions.githubusercontent.com",
      ClientIdList: ["sts.amazonaws.com"],
    });
    const trust = raw.Resources.GithubDeployRole.Properties.AssumeRolePolicyDocument;
    expect(trust.Statement).toEqual([
      {
        Action: "sts:AssumeRoleWithWebIdentity",
        Effect: "Allow",
        Principal: { Federated: { Ref: expect.stringMatching(/^GithubOidcProvider/) } },
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub":
              "repo:acme/keyless:ref:refs/heads/main:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
          },
        },
      },
    ]);
    expect(JSON.stringify(trust)).not.toMatch(/StringLike|\*/);
    expect(raw.Outputs.GithubDeployRoleArn.Value).toEqual({
      "Fn::GetAtt": ["GithubDeployRole", "Arn"],
    });
  });

  it("trusts deploy.yml in one GitHub environment instead, and uses an existing provider by ARN", () => {
    const { template, raw } = synth({
      KEYLESS_GITHUB_DEPLOY_ENVIRONMENT: "production",
      KEYLESS_GITHUB_OIDC_PROVIDER_ARN: GITHUB_ARN,
    });
    const urls = Object.values(template.findResources("AWS::IAM::OIDCProvider")).map(
      (r) => r.Properties.Url,
    );
    expect(urls).not.toContain("https://token.actions.githubusercontent.com");
    const trust = raw.Resources.GithubDeployRole.Properties.AssumeRolePolicyDocument;
    expect(trust.Statement[0].Principal).toEqual({ Federated: GITHUB_ARN });
    expect(trust.Statement[0].Condition.StringEquals).toMatchObject({
      "token.actions.githubusercontent.com:sub":
        "repo:acme/keyless:environment:production:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
    });
  });

  it("trusts GitHub's default sub when KEYLESS_GITHUB_SUBJECT=default", () => {
    const { raw } = synth({ KEYLESS_GITHUB_SUBJECT: "default" });
    const trust = raw.Resources.GithubDeployRole.Properties.AssumeRolePolicyDocument;
    expect(trust.Statement[0].Condition.StringEquals).toMatchObject({
      "token.actions.githubusercontent.com:sub": "repo:acme/keyless:ref:refs/heads/main",
    });
  });

  it("holds exactly the permission list, scoped to this stack; no action or resource '*' beyond the list-only calls", () => {
    const { raw } = synth();
    const policy = Object.entries(raw.Resources).find(
      ([id, r]) =>
        id.startsWith("GithubDeployRoleDefaultPolicy") &&
        (r as { Type: string }).Type === "AWS::IAM::Policy",
    )?.[1] as {
      Properties: {
        PolicyDocument: { Statement: { Effect: string; Action: string[]; Resource: unknown }[] };
      };
    };
    const statements = policy.Properties.PolicyDocument.Statement;
    const actionsOf = (effect: string) =>
      statements.filter((s) => s.Effect === effect).flatMap((s) => [s.Action].flat());
    const actions = actionsOf("Allow");
    expect(actions.sort()).toEqual(DEPLOY_PERMISSIONS.flatMap((p) => p.actions).sort());
    expect(actionsOf("Deny").sort()).toEqual(DEPLOY_DENIALS.flatMap((p) => p.actions).sort());
    expect(actions.some((a) => a.includes("*"))).toBe(false);
    const wildcard = statements
      .filter((s) => s.Effect === "Allow" && s.Resource === "*")
      .flatMap((s) => [s.Action].flat());
    expect(wildcard.sort()).toEqual(["cloudtrail:LookupEvents", "iam:ListOpenIDConnectProviders"]);
    const text = JSON.stringify(statements);
    expect(text).toContain(":stack/KeylessVercelOidc/*");
    // This stack's generated names only: not another stack's `KeylessVercelOidc-staging-…`, not
    // a bucket that merely starts `keylessverceloidc-`.
    expect(text).toContain(':role/KeylessVercelOidc-VercelRole*"');
    expect(text).toContain(':role/KeylessVercelOidc-GithubDeployRole*"');
    expect(text).toContain(':s3:::keylessverceloidc-appbucket*"');
    expect(text).not.toMatch(/:role\/KeylessVercelOidc-\*|:s3:::keylessverceloidc-\*/);
    expect(actions).not.toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^s3:(Put|Delete)Bucket(Policy|PublicAccessBlock|OwnershipControls|Versioning|Logging)$|^s3:Put(LifecycleConfiguration|EncryptionConfiguration)$|^s3:(Create|Delete)Bucket$|^iam:(PassRole|CreateUser|AttachRolePolicy|PutRolePermissionsBoundary|CreateRole|DeleteRole|UpdateRole|UpdateRoleDescription|UpdateAssumeRolePolicy)$|^iam:(Create|Delete|Tag|Untag)OpenIDConnectProvider$|ClientID|Thumbprint/,
        ),
      ]),
    );
  });

  it("tags only the Vercel roles: the deploy role cannot set its own principal tags", () => {
    const { raw } = synth();
    const statements = Object.entries(raw.Resources)
      .filter(([id]) => id.startsWith("GithubDeployRoleDefaultPolicy"))
      .flatMap(
        ([, r]) =>
          (r as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
            .PolicyDocument.Statement,
      ) as { Effect: string; Action: unknown; Resource: unknown }[];
    const tagging = statements.filter(
      (s) =>
        s.Effect === "Allow" &&
        [s.Action].flat().some((a) => /^iam:(Un)?tagRole$/i.test(String(a))),
    );
    expect(tagging).toHaveLength(1);
    const resources = JSON.stringify(tagging[0]?.Resource);
    expect(resources).toContain(':role/KeylessVercelOidc-VercelRole*"');
    expect(resources).not.toContain("GithubDeployRole");
  });

  it("the KeylessStack construct itself refuses a stack name that would cut generated names", () => {
    const props = {
      teamSlug: "acme",
      projectName: "web",
      environments: ["production", "qa-eu-central-long-name"],
      github: { subject: "repo:acme/keyless:ref:refs/heads/main" },
    };
    expect(
      () => new KeylessStack(new App(), "Direct", { ...props, stackName: "K".repeat(21) }),
    ).toThrow(
      /^KeylessStack stackName: "K{21}" is 21 characters; .*at most 20: .*VercelRoleQaEuCentralLongName.*shorter custom environment name/,
    );
    expect(
      () => new KeylessStack(new App(), "Direct", { ...props, stackName: "K".repeat(20) }),
    ).not.toThrow();
    // Without the deploy role the name is not limited by it.
    const { github: _github, ...plain } = props;
    expect(
      () => new KeylessStack(new App(), "Direct", { ...plain, stackName: "K".repeat(40) }),
    ).not.toThrow();
  });

  it("covers every resource type the template holds", () => {
    const { raw } = synth();
    const types = new Set(Object.values(raw.Resources).map((r) => (r as { Type: string }).Type));
    const reasons = DEPLOY_PERMISSIONS.map((p) => p.why).join(" ");
    for (const type of types) expect(reasons).toContain(type);
  });

  it("is clean under cdk-nag; each acknowledged finding has a reason", () => {
    const { app, stack, template } = synth();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations).toEqual([]);
    template.hasResource("AWS::IAM::Policy", {
      Metadata: Match.objectLike({ cdk_nag: Match.anyValue() }),
    });
  });
});
