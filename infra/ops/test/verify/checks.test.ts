// verify's pure parts: durations and flags, the checks on fetched data, the CloudTrail poller on
// an injected clock, and the JSON shape.

import { colorsFor, UsageError } from "@repo/infra/cli";
import { loadInfraConfig } from "@repo/infra/config";
import { environmentSuffix } from "@repo/infra/keyless-stack";
import { VERCEL_ENVIRONMENTS } from "@repo/infra/vercel-naming";
import { SAMPLE_CONFIG } from "@repo/sandbox/test-kit/sample-config";
import { describe, expect, it } from "vitest";
import type { StackResource } from "../../src/stack-values";
import { parseVerifyArgs } from "../../src/verify/args";
import {
  checkCredentials,
  checkHealth,
  checkPermissions,
  checkProvider,
  checkStack,
  roleFromArn,
  roleOutputKey,
  type StackFacts,
} from "../../src/verify/checks";
import {
  checkCloudTrail,
  type LookupItem,
  type PollClock,
  pollCloudTrail,
  toTrailEvent,
} from "../../src/verify/cloudtrail";
import { formatDuration, parseDuration } from "../../src/verify/duration";
import { describeAwsFailure } from "../../src/verify/fetch";
import { permissionProblems, resourceWildcardProblem } from "../../src/verify/policy";
import { renderJson, startSpinner, wrap } from "../../src/verify/render";
import { checkTrust, trustPolicyProblems } from "../../src/verify/trust";

const config = loadInfraConfig({ ...SAMPLE_CONFIG, VERCEL_ENVIRONMENTS: "production,preview" });
const ACCOUNT = "123456789012";
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.vercel.com/acme`;
const production = roleFromArn(
  "production",
  `arn:aws:iam::${ACCOUNT}:role/KeylessVercelOidc-VercelRoleProduction-ABC`,
);
const preview = roleFromArn(
  "preview",
  `arn:aws:iam::${ACCOUNT}:role/KeylessVercelOidc-VercelRolePreview-DEF`,
);
const BUCKET = "keylessverceloidc-appbucket20febf1c-abc";

/**
 * A deployed stack as verify reads it: outputs, and the resources CloudFormation made for them
 * (each RoleArn<Suffix> output's role as VercelRole<Suffix>, the bucket as AppBucket<hash>).
 */
function deployed(
  outputs: Record<string, string>,
  extra: { status?: string; serviceRole?: string; resources?: readonly StackResource[] } = {},
): Extract<StackFacts, { found: true }> {
  const resources = [
    ...Object.entries(outputs)
      .filter(([key]) => key.startsWith("RoleArn"))
      .map(([key, arn]) => ({
        logicalId: `VercelRole${key.slice("RoleArn".length)}`,
        physicalId: arn.split("/").pop() ?? "",
        type: "AWS::IAM::Role",
      })),
    { logicalId: "AppBucket20FEBF1C", physicalId: BUCKET, type: "AWS::S3::Bucket" },
  ];
  return {
    found: true,
    name: "KeylessVercelOidc",
    status: extra.status ?? "CREATE_COMPLETE",
    ...(extra.serviceRole ? { serviceRole: extra.serviceRole } : {}),
    stackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/KeylessVercelOidc/0a1b2c3d`,
    outputs,
    resources: extra.resources ?? resources,
  };
}

/** The trust policy the stack deploys for `environment`, as IAM returns it (URL-encoded). */
function trustPolicy(environment: string, overrides: Record<string, unknown> = {}): string {
  return encodeURIComponent(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: PROVIDER },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "oidc.vercel.com/acme:aud": "https://vercel.com/acme",
              "oidc.vercel.com/acme:sub": `owner:acme:project:web:environment:${environment}`,
            },
          },
          ...overrides,
        },
      ],
    }),
  );
}

describe("durations and flags", () => {
  it("parses 30s, 5m, 1h, 1h30m and 0, and refuses the rest with examples", () => {
    expect(parseDuration("30s", "--wait")).toBe(30_000);
    expect(parseDuration("5m", "--wait")).toBe(300_000);
    expect(parseDuration("1h30m", "--since")).toBe(5_400_000);
    expect(parseDuration("0", "--wait")).toBe(0);
    expect(() => parseDuration("5", "--wait")).toThrow(/--wait "5" is not a duration.*30s, 5m, 1h/);
    expect(() => parseDuration("1 hour", "--since")).toThrow(/--since/);
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(0)).toBe("0s");
  });

  it("defaults --since to 1h and --wait to 0, or to 5m when --url causes an exchange", () => {
    expect(parseVerifyArgs([])).toMatchObject({ sinceMs: 3_600_000, waitMs: 0, json: false });
    expect(parseVerifyArgs(["--url", "https://app.example"])).toMatchObject({
      waitMs: 300_000,
      waitDefaulted: true,
    });
    expect(
      parseVerifyArgs(["--url", "https://app.example", "--wait", "2s", "--json"]),
    ).toMatchObject({ waitMs: 2000, json: true, url: "https://app.example" });
  });

  it("answers bad flags with a usage error, never a crash", () => {
    for (const argv of [
      ["--bogus"],
      ["--wait", "soon"],
      ["--since", "0"],
      ["--url", "ftp://x"],
      ["extra"],
    ]) {
      expect(() => parseVerifyArgs(argv)).toThrow(UsageError);
    }
    expect(() => parseVerifyArgs(["--since", "91d"])).toThrow(/at most 90d/);
  });
});

describe("checks on fetched data", () => {
  it("credentials: names the caller and the account, or says how to sign in", () => {
    expect(
      checkCredentials({
        ok: true,
        arn: "arn:aws:iam::1:user/me",
        account: "1",
        source: "profile dev",
      }),
    ).toEqual({
      name: "credentials",
      ok: true,
      detail: "arn:aws:iam::1:user/me (account 1), from profile dev.",
    });
    const failed = checkCredentials({
      ok: false,
      source: "profile dev",
      error: "SSO session expired.",
    });
    expect(failed.ok).toBe(false);
    expect(failed.detail).toMatch(/profile dev.*SSO session expired.*aws sso login/);
  });

  it("credentials: with KEYLESS_ACCOUNTS they must be the checked account's", () => {
    const facts = {
      ok: true as const,
      arn: `arn:aws:sts::222222222222:assumed-role/dev/me`,
      account: "222222222222",
      source: "profile dev",
    };
    const wrong = checkCredentials(facts, { account: ACCOUNT, environments: ["production"] });
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toBe(
      `arn:aws:sts::222222222222:assumed-role/dev/me from profile dev is in account 222222222222, but KEYLESS_ACCOUNTS puts production in ${ACCOUNT}. Fix: give that entry the profile of account ${ACCOUNT} (environment:account-id:profile).`,
    );
    expect(checkCredentials(facts, { account: "222222222222", environments: ["preview"] }).ok).toBe(
      true,
    );
  });

  it("reads the role outputs by the names the stack gives them", () => {
    for (const environment of VERCEL_ENVIRONMENTS) {
      expect(roleOutputKey(environment)).toBe(`RoleArn${environmentSuffix(environment)}`);
    }
  });

  it("stack: finds a configured custom environment's role (qa-eu → RoleArnQaEu) and checks its trust", () => {
    const custom = loadInfraConfig({
      VERCEL_TEAM_SLUG: "acme",
      VERCEL_PROJECT_NAME: "web",
      VERCEL_ENVIRONMENTS: "production,qa-eu",
      AWS_REGION: "us-east-1",
    });
    const qa = roleFromArn(
      "qa-eu",
      `arn:aws:iam::${ACCOUNT}:role/KeylessVercelOidc-VercelRoleQaEu-GHI`,
    );
    const outputs = {
      RoleArnProduction: production.arn,
      RoleArnQaEu: qa.arn,
      BucketName: BUCKET,
      Region: "us-east-1",
    };
    const found = checkStack(deployed(outputs), custom);
    expect(found.result.ok).toBe(true);
    expect(found.roles).toEqual([production, qa]);
    expect(
      trustPolicyProblems(JSON.parse(decodeURIComponent(trustPolicy("qa-eu"))), {
        providerArn: PROVIDER,
        issuerHostPath: custom.issuerHostPath,
        audience: custom.audience,
        subject: custom.subjects["qa-eu"] ?? "",
      }),
    ).toEqual([]);
  });

  it("stack: complete with outputs passes; rollback, in-progress, missing outputs and no stack fail", () => {
    const outputs = {
      RoleArnProduction: production.arn,
      RoleArnPreview: preview.arn,
      BucketName: BUCKET,
      Region: "us-east-1",
    };
    const ok = checkStack(deployed(outputs, { status: "UPDATE_COMPLETE" }), config);
    expect(ok.result.ok).toBe(true);
    expect(ok.roles).toEqual([production, preview]);
    expect(ok.bucket).toBe(BUCKET);

    const serviceRole = "arn:aws:iam::111122223333:role/cfn-exec";
    const withServiceRole = checkStack(
      deployed(outputs, { status: "UPDATE_COMPLETE", serviceRole }),
      config,
    );
    expect(withServiceRole.result.ok).toBe(false);
    expect(withServiceRole.result.detail).toContain(`deploys with the service role ${serviceRole}`);
    expect(withServiceRole.result.detail).toMatch(/without --role-arn/);

    const rolledBack = checkStack(
      deployed(outputs, { status: "UPDATE_ROLLBACK_COMPLETE" }),
      config,
    );
    expect(rolledBack.result).toMatchObject({ ok: false });
    expect(rolledBack.result.detail).toMatch(/UPDATE_ROLLBACK_COMPLETE.*rolled back/);
    expect(
      checkStack(deployed(outputs, { status: "CREATE_IN_PROGRESS" }), config).result.detail,
    ).toMatch(/wait/);

    const { RoleArnPreview: _, ...withoutPreview } = outputs;
    const missing = checkStack(deployed(withoutPreview), config);
    expect(missing.result.detail).toMatch(/outputs missing: RoleArnPreview/);
    expect(missing.result.detail).toContain("the stack has no role VercelRolePreview for preview");

    const none = checkStack({ found: false, name: "S" }, config, ACCOUNT);
    expect(none.result.ok).toBe(false);
    expect(none.result.detail).toMatch(
      /S does not exist in region us-east-1 of account 123456789012.*pnpm infra:deploy/,
    );
  });

  it("stack: the app's own resources come from the stack's resources, marked by the template", () => {
    const outputs = {
      RoleArnProduction: production.arn,
      RoleArnPreview: preview.arn,
      BucketName: BUCKET,
      Region: "us-east-1",
    };
    const table = (suffix: string, physicalId: string) => ({
      logicalId: `NotesTable${suffix}`,
      physicalId,
      type: "AWS::DynamoDB::Table",
      appResource: {
        id: "NotesTable",
        environment: suffix.toLowerCase(),
        variable: "NOTES_TABLE",
        arnFormat: "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
      },
    });
    const stack = checkStack(
      deployed(outputs, {
        resources: [
          ...deployed(outputs).resources,
          table("Production", "KeylessVercelOidc-NotesTableProduction-A1"),
          table("Preview", "KeylessVercelOidc-NotesTablePreview-B2"),
        ],
      }),
      config,
    );
    expect(stack.result.ok, stack.result.detail).toBe(true);
    expect(stack.appResources?.map((resource) => [resource.environment, resource.arn])).toEqual([
      [
        "production",
        `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/KeylessVercelOidc-NotesTableProduction-A1`,
      ],
      [
        "preview",
        `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/KeylessVercelOidc-NotesTablePreview-B2`,
      ],
    ]);
    // A resource named by hand is not the stack's own.
    const renamed = checkStack(
      deployed(outputs, {
        resources: [...deployed(outputs).resources, table("Production", "someone-elses-table")],
      }),
      config,
    );
    expect(renamed.result.ok).toBe(false);
    expect(renamed.result.detail).toContain(
      "app resource NotesTableProduction (NotesTable of production) is named someone-elses-table, not the name CloudFormation generates for NotesTableProduction (KeylessVercelOidc-NotesTableProduction…)",
    );
    expect(renamed.appResources).toEqual([]);

    // Metadata is text a deploy run can rewrite: a format that would let every table pass is refused.
    const widened = table("Preview", "KeylessVercelOidc-NotesTablePreview-B2");
    const tampered = checkStack(
      deployed(outputs, {
        resources: [
          ...deployed(outputs).resources,
          {
            ...widened,
            appResource: {
              ...widened.appResource,
              arnFormat: "arn:{partition}:dynamodb:{region}:{account}:table/*",
            },
          },
        ],
      }),
      config,
    );
    expect(tampered.result.ok).toBe(false);
    expect(tampered.result.detail).toContain(
      'app resource NotesTablePreview\'s template Metadata has arnFormat "arn:{partition}:dynamodb:{region}:{account}:table/*" must be',
    );
    expect(tampered.appResources).toEqual([]);

    // A queue: its physical id is its URL; its name (and so its ARN) is the URL's last part.
    const queue = checkStack(
      deployed(outputs, {
        resources: [
          ...deployed(outputs).resources,
          {
            logicalId: "JobsQueueProduction",
            physicalId: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/KeylessVercelOidc-JobsQueueProduction-C3`,
            type: "AWS::SQS::Queue",
            appResource: {
              id: "JobsQueue",
              environment: "production",
              variable: "JOBS_QUEUE",
              arnFormat: "arn:{partition}:sqs:{region}:{account}:{name}",
            },
          },
        ],
      }),
      config,
    );
    expect(queue.result.ok, queue.result.detail).toBe(true);
    expect(queue.appResources?.[0]?.arn).toBe(
      `arn:aws:sqs:us-east-1:${ACCOUNT}:KeylessVercelOidc-JobsQueueProduction-C3`,
    );
  });

  it("stack: roles and bucket come from the stack's resources; an output naming another account's role fails", () => {
    const outputs = {
      RoleArnProduction: production.arn,
      RoleArnPreview: preview.arn,
      BucketName: BUCKET,
      Region: "us-east-1",
    };
    const elsewhere = "arn:aws:iam::999999999999:role/KeylessVercelOidc-VercelRoleProduction-ABC";
    const forged = checkStack(
      deployed(
        { ...outputs, RoleArnProduction: elsewhere },
        { resources: deployed(outputs).resources },
      ),
      config,
    );
    expect(forged.result.ok).toBe(false);
    expect(forged.result.detail).toContain(
      `output RoleArnProduction names ${elsewhere}, but the stack's own role VercelRoleProduction is ${production.arn}`,
    );
    // What verify goes on to check is the stack's own role, in the stack's account.
    expect(forged.roles).toEqual([production, preview]);

    const otherBucket = checkStack(
      deployed({ ...outputs, BucketName: "someone-elses-bucket" }),
      config,
    );
    expect(otherBucket.result.detail).toContain(
      `output BucketName names someone-elses-bucket, but the stack's own bucket is ${BUCKET}`,
    );
    expect(otherBucket.bucket).toBe(BUCKET);

    const renamed = checkStack(
      deployed(outputs, {
        resources: [
          { logicalId: "VercelRoleProduction", physicalId: "AdminRole", type: "AWS::IAM::Role" },
          ...deployed(outputs).resources.slice(1),
        ],
      }),
      config,
    );
    expect(renamed.result.detail).toContain(
      "role VercelRoleProduction is named AdminRole, not the name CloudFormation generates (KeylessVercelOidc-VercelRole…)",
    );
  });

  it("oidc-provider: found with the audience, missing (with the other mode's provider named), without the audience", () => {
    const found = checkProvider(
      {
        ok: true,
        providers: [
          { arn: PROVIDER, url: "oidc.vercel.com/acme", clientIds: ["https://vercel.com/acme"] },
        ],
      },
      config,
    );
    expect(found).toMatchObject({ providerArn: PROVIDER, result: { ok: true } });

    const globalOnly = checkProvider(
      {
        ok: true,
        providers: [
          {
            arn: "arn:aws:iam::1:oidc-provider/oidc.vercel.com",
            url: "oidc.vercel.com",
            clientIds: [],
          },
        ],
      },
      config,
    );
    expect(globalOnly.result.ok).toBe(false);
    expect(globalOnly.result.detail).toMatch(
      /No IAM OIDC provider for https:\/\/oidc.vercel.com\/acme.*issuer mode differs/,
    );

    const noAudience = checkProvider(
      {
        ok: true,
        providers: [
          { arn: PROVIDER, url: "oidc.vercel.com/acme", clientIds: ["sts.amazonaws.com"] },
        ],
      },
      config,
    );
    expect(noAudience.result.ok).toBe(false);
    expect(noAudience.result.detail).toMatch(
      /do not contain the audience https:\/\/vercel.com\/acme.*add-client-id/,
    );
  });

  it("trust-policy: the deployed shape passes and the evaluator agrees", () => {
    const result = checkTrust(
      [
        { role: production, trustPolicy: trustPolicy("production") },
        { role: preview, trustPolicy: trustPolicy("preview") },
      ],
      config,
      PROVIDER,
    );
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(/all \d+ claim sets decided as configured/);
  });

  it("trust-policy: a wildcard sub, another principal, a wrong provider or an unconfigured environment fail", () => {
    const wildcard = checkTrust(
      [
        {
          role: production,
          trustPolicy: trustPolicy("production", {
            Condition: {
              StringEquals: { "oidc.vercel.com/acme:aud": "https://vercel.com/acme" },
              StringLike: { "oidc.vercel.com/acme:sub": "owner:acme:project:web:environment:*" },
            },
          }),
        },
        { role: preview, trustPolicy: trustPolicy("preview") },
      ],
      config,
      PROVIDER,
    );
    expect(wildcard.ok).toBe(false);
    expect(wildcard.detail).toMatch(/sub is matched by StringLike with a wildcard/);
    expect(wildcard.detail).not.toMatch(/sub is not pinned/);
    expect(wildcard.detail).toMatch(
      /this project, development: allowed by the production role, should be denied/,
    );

    const decoded = (text: string) => JSON.parse(decodeURIComponent(text));
    const anyone = decoded(trustPolicy("production", { Principal: { AWS: "*" } }));
    expect(
      trustPolicyProblems(anyone, {
        providerArn: PROVIDER,
        issuerHostPath: "oidc.vercel.com/acme",
        audience: "https://vercel.com/acme",
        subject: "owner:acme:project:web:environment:production",
      }),
    ).toContain("it also trusts AWS *");
    const audOnly = decoded(
      trustPolicy("production", {
        Condition: { StringEquals: { "oidc.vercel.com/acme:aud": "https://vercel.com/acme" } },
      }),
    );
    expect(
      trustPolicyProblems(audOnly, {
        providerArn: PROVIDER,
        issuerHostPath: "oidc.vercel.com/acme",
        audience: "https://vercel.com/acme",
        subject: "owner:acme:project:web:environment:production",
      }),
    ).toEqual([
      'sub is not pinned: add StringEquals "owner:acme:project:web:environment:production"',
    ]);

    const otherProvider = checkTrust(
      [{ role: production, trustPolicy: trustPolicy("production") }],
      config,
      `${PROVIDER}x`,
    );
    expect(otherProvider.detail).toMatch(/Federated is .*acme, not the provider .*acmex/);

    const onlyProduction = loadInfraConfig({
      VERCEL_TEAM_SLUG: "acme",
      VERCEL_PROJECT_NAME: "web",
      AWS_REGION: "us-east-1",
    });
    const extra = checkTrust(
      [
        { role: production, trustPolicy: trustPolicy("production") },
        { role: preview, trustPolicy: trustPolicy("preview") },
      ],
      onlyProduction,
      PROVIDER,
    );
    expect(extra.ok).toBe(false);
    expect(extra.detail).toMatch(/trusts preview, which VERCEL_ENVIRONMENTS does not list/);
    expect(extra.detail).toMatch(
      /this project, preview: allowed by the preview role, should be denied/,
    );
  });

  it("permissions: exact actions on one bucket pass; s3:*, Resource *, NotAction fail", () => {
    const scoped = JSON.stringify({
      Statement: [
        { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::bucket" },
        {
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: "arn:aws:s3:::bucket/*",
        },
        { Effect: "Deny", Action: "*", Resource: "*" },
      ],
    });
    expect(permissionProblems(JSON.parse(scoped))).toEqual([]);
    expect(resourceWildcardProblem("arn:aws:s3:::bucket/uploads/*")).toBeUndefined();
    expect(resourceWildcardProblem("arn:aws:s3:::*")).toMatch(/outside one named resource/);
    expect(resourceWildcardProblem("arn:aws:s3:::bucket-*/x")).toMatch(
      /outside one named resource/,
    );
    expect(resourceWildcardProblem("*")).toMatch(/every resource/);

    const broad = JSON.stringify({
      Statement: [
        { Effect: "Allow", Action: "s3:*", Resource: "*" },
        { Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::bucket" },
      ],
    });
    const result = checkPermissions([
      {
        role: production,
        policies: [{ name: "Default", kind: "inline", document: encodeURIComponent(scoped) }],
      },
      { role: preview, policies: [{ name: "Extra", kind: "managed", document: broad }] },
    ]);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /production: s3:ListBucket, s3:GetObject, s3:PutObject on named resources only/,
    );
    expect(result.detail).toMatch(/Action "s3:\*" is a wildcard in managed policy Extra/);
    expect(result.detail).toMatch(/Resource "\*" \(every resource\)/);
    expect(result.detail).toMatch(/NotAction allows every action except iam:\*/);
  });

  it("permissions: each role's grants keep to its own prefix of the stack's bucket", () => {
    const exact = (environment: string) =>
      JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: "arn:aws:s3:::bucket",
            Condition: { StringLike: { "s3:prefix": [`${environment}/*`] } },
          },
          {
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject"],
            Resource: `arn:aws:s3:::bucket/${environment}/*`,
          },
        ],
      });
    const facts = (previewPolicy: string) => [
      {
        role: production,
        policies: [{ name: "Default", kind: "inline" as const, document: exact("production") }],
      },
      {
        role: preview,
        policies: [{ name: "Default", kind: "inline" as const, document: previewPolicy }],
      },
    ];
    const passing = checkPermissions(facts(exact("preview")), "bucket");
    expect(passing.ok, passing.detail).toBe(true);
    expect(passing.detail).toContain(
      "preview: s3:ListBucket, s3:GetObject, s3:PutObject on bucket/preview/ only",
    );

    const widened = [
      // Preview reaching production's objects, every object, another bucket, and the whole listing.
      [
        "arn:aws:s3:::bucket/production/*",
        /reaches bucket\/production\/\*, outside bucket\/preview\//,
      ],
      ["arn:aws:s3:::bucket/*", /reaches bucket\/\*, outside bucket\/preview\//],
      ["arn:aws:s3:::other-bucket/preview/*", /outside the stack's bucket bucket/],
    ] as const;
    for (const [resource, message] of widened) {
      const document = JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: resource }],
      });
      const result = checkPermissions(facts(document), "bucket");
      expect(result.ok, resource).toBe(false);
      expect(result.detail).toMatch(message);
      // The offending statement is quoted, not only its actions.
      expect(result.detail).toContain(`"Resource":"${resource}"`);
    }
    const listing = JSON.stringify({
      Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::bucket" }],
    });
    expect(checkPermissions(facts(listing), "bucket").detail).toMatch(
      /lists bucket beyond preview\/ \(its s3:prefix condition must keep to preview\/\*\)/,
    );
  });

  it("permissions: an app resource is granted to its own environment's role only", () => {
    const table = (environment: string) =>
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/KeylessVercelOidc-NotesTable${environment}-X1`;
    const appResources = ["Production", "Preview"].map((suffix) => ({
      id: "NotesTable",
      environment: suffix.toLowerCase(),
      variable: "NOTES_TABLE",
      arnFormat: "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
      logicalId: `NotesTable${suffix}`,
      physicalId: `KeylessVercelOidc-NotesTable${suffix}-X1`,
      arn: table(suffix),
    }));
    const policy = (resources: string[]) =>
      JSON.stringify({
        Statement: [
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/preview/*" },
          { Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: resources },
        ],
      });
    const facts = (resources: string[]) => [
      {
        role: preview,
        policies: [{ name: "Default", kind: "inline" as const, document: policy(resources) }],
      },
    ];
    const own = checkPermissions(
      facts([table("Preview"), `${table("Preview")}/index/byText`]),
      "bucket",
      undefined,
      appResources,
    );
    expect(own.ok, own.detail).toBe(true);
    expect(own.detail).toContain("on bucket/preview/, KeylessVercelOidc-NotesTablePreview-X1 only");
    const widened = checkPermissions(
      facts([table("Production")]),
      "bucket",
      undefined,
      appResources,
    );
    expect(widened.ok).toBe(false);
    expect(widened.detail).toContain(
      `reaches ${table("Production")}, outside the stack's bucket bucket and preview's own app resources`,
    );
    expect(widened.detail).toContain(`"Resource":["${table("Production")}"]`);
    // A name that only starts like its own table is another table.
    expect(
      checkPermissions(facts([`${table("Preview")}2`]), "bucket", undefined, appResources).ok,
    ).toBe(false);
  });

  it("permissions: with the GitHub deploy role on, each Vercel role must carry the app boundary", () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/KeylessVercelOidc-app-boundary`;
    const policy = JSON.stringify({
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/preview/*" },
      ],
    });
    const facts = (boundaryArn?: string) => [
      {
        role: preview,
        policies: [{ name: "Default", kind: "inline" as const, document: policy }],
        ...(boundaryArn ? { boundaryArn } : {}),
      },
    ];
    const appBoundary = "KeylessVercelOidc-app-boundary";
    expect(checkPermissions(facts(boundary), "bucket", appBoundary).ok).toBe(true);
    const missing = checkPermissions(facts(), "bucket", appBoundary);
    expect(missing.ok).toBe(false);
    expect(missing.detail).toContain(
      `preview role ${preview.name}: it has no permissions boundary, not ${appBoundary}`,
    );
    expect(missing.detail).toContain("`pnpm infra:deploy` as an administrator");
    const other = checkPermissions(
      facts(`arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess`),
      "bucket",
      appBoundary,
    );
    expect(other.detail).toContain("its permissions boundary is arn:aws:iam::");
    // Without the GitHub deploy role the roles need none.
    expect(checkPermissions(facts(), "bucket").ok).toBe(true);
  });

  it("health: ok with a role of the stack passes; 503, another role, or not JSON fail", () => {
    const url = "https://app.example/api/health";
    expect(
      checkHealth(
        { url, status: 200, body: { ok: true, mode: "vercel-oidc", roleArn: production.arn } },
        [production],
      ),
    ).toMatchObject({ ok: true });
    const down = checkHealth(
      {
        url,
        status: 503,
        body: {
          ok: false,
          mode: "vercel-oidc",
          error: { code: "trust-denied", title: "Not authorized" },
        },
      },
      [production],
    );
    expect(down.detail).toMatch(/answered 503.*Not authorized \(trust-denied\)/);
    expect(
      checkHealth(
        { url, status: 200, body: { ok: true, roleArn: `arn:aws:iam::${ACCOUNT}:role/Other` } },
        [production],
      ).detail,
    ).toMatch(/not a role of this stack/);
    expect(checkHealth({ url, status: 200, body: "<html>" }, [production]).detail).toMatch(
      /not the health JSON/,
    );
    expect(checkHealth({ url, error: "ECONNREFUSED" }, [production])).toMatchObject({ ok: false });
  });
});

/** A CloudTrail record as LookupEvents carries it. */
function lookupItem(
  n: number,
  options: { roleArn?: string; errorCode?: string; seconds?: number } = {},
): LookupItem {
  const sub = "owner:acme:project:web:environment:production";
  return {
    EventId: `e${n}`,
    CloudTrailEvent: JSON.stringify({
      eventID: `e${n}`,
      eventTime: new Date(Date.UTC(2026, 10, 25, 20, 0, options.seconds ?? n))
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z"),
      eventName: "AssumeRoleWithWebIdentity",
      awsRegion: "us-east-1",
      sourceIPAddress: "76.76.21.21",
      userAgent: "aws-sdk-js/3",
      userIdentity: {
        type: "WebIdentityUser",
        principalId: `oidc.vercel.com/acme:https://vercel.com/acme:${sub}`,
        userName: sub,
        identityProvider: PROVIDER,
      },
      requestParameters: {
        roleArn: options.roleArn ?? production.arn,
        roleSessionName: `vercel-production-dpl_${n}`,
      },
      responseElements: options.errorCode ? null : { audience: "https://vercel.com/acme" },
      ...(options.errorCode
        ? {
            errorCode: options.errorCode,
            errorMessage: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
          }
        : {}),
    }),
  };
}

/** A clock that only moves when someone sleeps: the poller's waits cost no real time. */
function fakeClock(): PollClock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const throttle = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
const relevant = (event: { roleArn: string | null }) => event.roleArn === production.arn;
const done = (events: readonly { errorCode: string | null }[]) =>
  events.some((e) => e.errorCode === null);

describe("the CloudTrail poller", () => {
  it("reads every page, keeps the stack's roles only, and paces calls to 2 per second", async () => {
    const clock = fakeClock();
    const pages = [
      {
        items: [lookupItem(3), lookupItem(2, { roleArn: "arn:aws:iam::1:role/someone-else" })],
        nextToken: "p2",
      },
      { items: [lookupItem(1, { errorCode: "AccessDenied" })] },
    ];
    const tokens: (string | undefined)[] = [];
    const result = await pollCloudTrail({
      lookup: async (_since, token) => {
        tokens.push(token);
        return pages[tokens.length - 1] ?? { items: [] };
      },
      since: new Date(0),
      waitMs: 0,
      relevant,
      done,
      clock,
    });
    expect(tokens).toEqual([undefined, "p2"]);
    expect(result.found).toBe(true);
    expect(result.events.map((e) => e.eventId)).toEqual(["e3", "e1"]);
    expect(clock.slept).toEqual([500]);
  });

  it("retries ThrottlingException with backoff and still completes", async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await pollCloudTrail({
      lookup: async () => {
        calls++;
        if (calls <= 3) throw throttle();
        return { items: [lookupItem(1)] };
      },
      since: new Date(0),
      waitMs: 2000,
      relevant,
      done,
      clock,
    });
    expect(result).toMatchObject({ found: true, throttled: 3, lookups: 4 });
    expect(clock.slept).toEqual([1000, 2000, 4000]);
  });

  it("polls with growing pauses until --wait runs out, then reports nothing found", async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await pollCloudTrail({
      lookup: async () => {
        calls++;
        return { items: [lookupItem(calls, { errorCode: "AccessDenied" })] };
      },
      since: new Date(0),
      waitMs: 10_000,
      relevant,
      done,
      clock,
    });
    expect(result.found).toBe(false);
    expect(clock.slept).toEqual([2000, 4000, 4000]);
    expect(result.lookups).toBe(4);
    expect(result.events).toHaveLength(1);
  });

  it("stops on an error that is not throttling, and gives up on endless throttling after --wait", async () => {
    const denied = await pollCloudTrail({
      lookup: async () => {
        throw Object.assign(new Error("no"), { name: "AccessDeniedException" });
      },
      since: new Date(0),
      waitMs: 60_000,
      relevant,
      done,
      clock: fakeClock(),
    });
    expect(denied.error).toMatchObject({ name: "AccessDeniedException" });

    const throttled = await pollCloudTrail({
      lookup: async () => {
        throw throttle();
      },
      since: new Date(0),
      waitMs: 0,
      relevant,
      done,
      clock: fakeClock(),
    });
    expect(throttled.found).toBe(false);
    expect(throttled.throttled).toBe(6);
    expect(throttled.error).toMatchObject({ name: "ThrottlingException" });
  });

  it("explains failed events with @repo/aws-auth's explainer, reading aud from principalId", () => {
    const event = toTrailEvent(lookupItem(7, { errorCode: "AccessDenied" }));
    expect(event).toMatchObject({
      audience: "https://vercel.com/acme",
      errorCode: "AccessDenied",
      sessionName: "vercel-production-dpl_7",
    });
    const check = checkCloudTrail(
      {
        events: event ? [event] : [],
        found: false,
        lookups: 1,
        throttled: 0,
        elapsedMs: 0,
        truncated: false,
      },
      { roles: [production], config, region: "us-east-1", since: new Date(0), waitMs: 0 },
    );
    expect(check.result.ok).toBe(false);
    expect(check.result.detail).toMatch(
      /No successful AssumeRoleWithWebIdentity.*looked once.*1 failed: Not authorized/,
    );
    expect(check.explanations.get("e7")).toMatchObject({ code: "trust-denied" });
  });

  it("on the sandbox (events at once), advises making an exchange, not waiting", () => {
    const poll = {
      events: [],
      found: false,
      lookups: 1,
      throttled: 0,
      elapsedMs: 0,
      truncated: false,
    };
    const context = {
      roles: [production],
      config,
      region: "us-east-1",
      since: new Date(0),
      waitMs: 0,
    };
    const sandbox = checkCloudTrail(poll, { ...context, eventsAtOnce: true }).result.detail;
    expect(sandbox).toContain("--url http://localhost:3000");
    expect(sandbox).not.toContain("--wait");
    expect(checkCloudTrail(poll, context).result.detail).toContain("--wait 10m");
  });

  it("reports a page cut-off as not known, never as no event", () => {
    const check = checkCloudTrail(
      { events: [], found: false, lookups: 20, throttled: 0, elapsedMs: 0, truncated: true },
      { roles: [production], config, region: "us-east-1", since: new Date(0), waitMs: 0 },
    );
    expect(check.result.ok).toBe(false);
    expect(check.result.detail).toMatch(
      /more events .* than verify reads.*may be on a page not read/,
    );
    expect(check.result.detail).not.toMatch(/^No successful/);
  });
});

describe("output", () => {
  it("--json has exactly the keys of DESIGN.md", () => {
    const event = toTrailEvent(lookupItem(1));
    const text = renderJson({
      ok: true,
      checks: [{ name: "stack", ok: true, detail: "fine" }],
      events: event
        ? [
            {
              time: event.time,
              roleArn: event.roleArn,
              sessionName: event.sessionName,
              subject: event.subject,
              sourceIp: event.sourceIp,
              userAgent: event.userAgent,
              region: event.region,
              errorCode: event.errorCode,
            },
          ]
        : [],
    });
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(["ok", "checks", "events"]);
    expect(Object.keys(parsed.checks[0])).toEqual(["name", "ok", "detail"]);
    expect(Object.keys(parsed.events[0]).sort()).toEqual([
      "errorCode",
      "region",
      "roleArn",
      "sessionName",
      "sourceIp",
      "subject",
      "time",
      "userAgent",
    ]);
  });

  it("colours only a TTY without NO_COLOR, and wraps long details", () => {
    expect(colorsFor({ isTTY: true }, {}).red("x")).not.toBe("x");
    expect(colorsFor({ isTTY: true }, { NO_COLOR: "1" }).red("x")).toBe("x");
    expect(colorsFor({ isTTY: false }, {}).red("x")).toBe("x");
    expect(wrap("aaa bbb ccc", 7)).toEqual(["aaa bbb", "ccc"]);
  });

  it("draws a spinner with the elapsed time on a terminal only, and clears its line", () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (chunk: string) => written.push(chunk) > 0 };
    const spinner = startSpinner(tty, "Looking in CloudTrail", colorsFor({ isTTY: false }, {}));
    spinner.update("Looking in CloudTrail: 2 lookups");
    spinner.stop();
    spinner.stop();
    expect(written[0]).toMatch(/Looking in CloudTrail \d+(ms|s)$/);
    expect(written.at(-1)).toBe("\r\u001b[2K");
    expect(written.filter((chunk) => chunk === "\r\u001b[2K")).toHaveLength(1);

    const piped: string[] = [];
    startSpinner(
      { isTTY: false, write: (chunk) => piped.push(chunk) > 0 },
      "x",
      colorsFor({}, {}),
    ).stop();
    expect(piped).toEqual([]);
  });

  it("names the refused call and the policy that covers it when a lookup is denied", () => {
    const denied = Object.assign(new Error("User is not authorized to perform iam:GetRole"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    expect(describeAwsFailure(denied, "iam:GetRole")).toMatch(
      /iam:GetRole was refused \(AccessDenied\).*ReadOnlyAccess/,
    );
    const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    expect(describeAwsFailure(down, "sts:GetCallerIdentity", "http://127.0.0.1:1")).toMatch(
      /could not reach AWS_ENDPOINT_URL http:\/\/127.0.0.1:1.*pnpm sandbox/,
    );
  });
});
