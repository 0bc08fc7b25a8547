// The two permissions boundaries (src/github-oidc.ts, applied in src/keyless-stack.ts), asserted
// on the synthesized template: which roles carry which, which statements carry the app-boundary
// condition, what the deploy role is denied — and, through a small evaluator, what the deploy role
// and the roles it may create can and cannot do.

import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_BOUNDARY_LOGICAL_ID,
  GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID,
  GITHUB_DEPLOY_ROLE_LOGICAL_ID,
  githubStackNameMax,
} from "../src/github-naming";
import { BOUNDARY_POLICY_EDITS } from "../src/github-oidc";
import { evaluatePermission, type PolicyDocument, wildcardMatches } from "../src/trust/evaluate";
import { githubSynthesizer } from "./helpers/github-synth";

const ACCOUNT = "111122223333";
const STACK = "KeylessVercelOidc";
const STACK_LC = STACK.toLowerCase();
const DEPLOY_BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/${STACK}-deploy-boundary`;
const APP_BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/${STACK}-app-boundary`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${STACK}-${name}`;
const bucketArn = (name: string) => `arn:aws:s3:::${name}`;
/** CloudFormation's names: `<stack>-<logical id>-<random>`, buckets in lower case (13 = the longest random part). */
const generatedRoleName = (stack: string, id: string) => `${stack}-${id}-A1B2C3D4E5F6G`;
const generatedBucketName = (stack: string, id: string) =>
  `${stack}-${id}-1a2b3c4d5e6f7`.toLowerCase();
/**
 * Every role write IAM's Service Authorization Reference lists `iam:PermissionsBoundary` for, in
 * its (alphabetical) order — written out here, not taken from the source, so a write the source
 * forgets to guard still fails the test.
 */
const BOUNDED_ROLE_WRITES = [
  "iam:AttachRolePolicy",
  "iam:CreateRole",
  "iam:DeleteRole",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:PutRolePolicy",
  "iam:UpdateAssumeRolePolicy",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
];
const ROLE_WRITES = [...BOUNDED_ROLE_WRITES, "iam:DeleteRolePermissionsBoundary", "iam:TagRole"];
/** Resource-policy changes no boundary caps: denied to the deploy role (written out, as above). */
const BUCKET_POLICY_CHANGES = [
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutBucketOwnershipControls",
];
/** The buckets' protections, constants of the stack: denied (written out, as above). */
const BUCKET_PROTECTION_CHANGES = [
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutBucketLogging",
  "s3:PutEncryptionConfiguration",
];
/** Every OIDC provider write IAM has: denied on every provider (written out, as above). */
const PROVIDER_WRITES = [
  "iam:CreateOpenIDConnectProvider",
  "iam:DeleteOpenIDConnectProvider",
  "iam:AddClientIDToOpenIDConnectProvider",
  "iam:RemoveClientIDFromOpenIDConnectProvider",
  "iam:UpdateOpenIDConnectProviderThumbprint",
  "iam:TagOpenIDConnectProvider",
  "iam:UntagOpenIDConnectProvider",
];
/** A new role, or a trust or role setting changed: never from a run (administrator deploys). */
const ROLE_LIFECYCLE_WRITES = [
  "iam:CreateRole",
  "iam:DeleteRole",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
  "iam:UpdateAssumeRolePolicy",
];
const PROVIDER_ARNS = [
  `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.vercel.com/acme`,
  `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
];

interface Statement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  NotAction?: unknown;
  NotResource?: unknown;
}
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const { synth, cleanup } = githubSynthesizer();
afterAll(cleanup);

let resources: Resources;
let deployBoundary: Statement[];
let appBoundary: Statement[];
let deployRole: Statement[];
/** The ARNs CloudFormation would give this template's roles and buckets. */
let roleArns: Record<string, string>;
let bucketArns: Record<string, string>;
beforeAll(() => {
  resources = synth({ VERCEL_ENVIRONMENTS: "production,preview" }).raw.Resources;
  deployBoundary = statementsOf(resources[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID]);
  appBoundary = statementsOf(resources[APP_BOUNDARY_LOGICAL_ID]);
  deployRole = statementsOf(policyOfRole(GITHUB_DEPLOY_ROLE_LOGICAL_ID));
  const arnsOf = (type: string, arn: (id: string) => string) =>
    Object.fromEntries(idsOfType(resources, type).map((id) => [id, arn(id)]));
  roleArns = arnsOf(
    "AWS::IAM::Role",
    (id) => `arn:aws:iam::${ACCOUNT}:role/${generatedRoleName(STACK, id)}`,
  );
  bucketArns = arnsOf("AWS::S3::Bucket", (id) => bucketArn(generatedBucketName(STACK, id)));
});

const idsOfType = (template: Resources, type: string) =>
  Object.entries(template)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);

function statementsOf(resource: Resources[string] | undefined): Statement[] {
  const document = resource?.Properties.PolicyDocument as { Statement: Statement[] } | undefined;
  if (!document) throw new Error("no policy document");
  return document.Statement;
}

function policyOfRole(roleId: string): Resources[string] | undefined {
  return Object.values(resources).find(
    (r) =>
      r.Type === "AWS::IAM::Policy" &&
      (r.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === `{"Ref":"${roleId}"}`,
      ),
  );
}

/** The ARN of the bucket whose logical id is `id` + CDK's 8-digit hash. */
function bucketArnOf(id: string): string {
  const found = Object.entries(bucketArns).find(([logicalId]) =>
    new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId),
  );
  if (!found) throw new Error(`no bucket ${id}`);
  return found[1];
}

const actionsOf = (s: Statement) => [s.Action].flat();
const allowedActions = (statements: Statement[]) =>
  statements.filter((s) => s.Effect === "Allow").flatMap(actionsOf);

describe("the boundaries", { timeout: 60_000 }, () => {
  it("are managed policies of this stack: the deploy role carries the deploy boundary, every other role the app boundary", () => {
    expect(resources[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID]?.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(resources[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID]?.Properties.ManagedPolicyName).toBe(
      `${STACK}-deploy-boundary`,
    );
    expect(resources[APP_BOUNDARY_LOGICAL_ID]?.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(resources[APP_BOUNDARY_LOGICAL_ID]?.Properties.ManagedPolicyName).toBe(
      `${STACK}-app-boundary`,
    );
    const boundaries = Object.fromEntries(
      idsOfType(resources, "AWS::IAM::Role").map((id) => [
        id,
        resources[id]?.Properties.PermissionsBoundary,
      ]),
    );
    expect(boundaries).toEqual({
      GithubDeployRole: { Ref: GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID },
      VercelRolePreview: { Ref: APP_BOUNDARY_LOGICAL_ID },
      VercelRoleProduction: { Ref: APP_BOUNDARY_LOGICAL_ID },
    });
    const types = new Set(Object.values(resources).map((r) => r.Type));
    expect([...types].filter((t) => /IAM::(User|Group)$/.test(t))).toEqual([]);
  });

  it.each([
    ["the deploy role's policy", () => deployRole],
    ["the deploy boundary", () => deployBoundary],
  ])(
    "%s: every role write that takes iam:PermissionsBoundary requires the app boundary",
    (_label, get) => {
      const statements = get();
      const writes = statements.filter(
        (s) => s.Effect === "Allow" && actionsOf(s).some((a) => BOUNDED_ROLE_WRITES.includes(a)),
      );
      expect(writes.length).toBeGreaterThan(0);
      for (const statement of writes) {
        expect(resolve(statement.Condition)).toEqual({
          StringEquals: { "iam:PermissionsBoundary": APP_BOUNDARY_ARN },
        });
        // Only the Vercel roles' names: not the deploy role's, not another stack's.
        expect(resolve(statement.Resource)).toBe(roleArn("VercelRole*"));
      }
      // No other statement grants them, by name or by a wildcard.
      expect(allowedActions(statements).filter((a) => a.includes("*"))).toEqual([]);
    },
  );

  it.each([
    ["the deploy role's policy", () => deployRole],
    ["the deploy boundary", () => deployBoundary],
  ])(
    "%s: denies boundary changes, new roles and trust changes on any role, editing either boundary, provider writes, and bucket-policy and bucket-protection changes on any bucket",
    (_label, get) => {
      const denials = get()
        .filter((s) => s.Effect === "Deny")
        .map((s) => ({ actions: actionsOf(s).sort(), resource: resolve(s.Resource) }));
      expect(denials).toEqual(
        expect.arrayContaining([
          {
            actions: ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"],
            resource: "*",
          },
          {
            actions: [...BOUNDARY_POLICY_EDITS].sort(),
            resource: [DEPLOY_BOUNDARY_ARN, APP_BOUNDARY_ARN],
          },
          { actions: [...BUCKET_POLICY_CHANGES].sort(), resource: "*" },
          { actions: [...BUCKET_PROTECTION_CHANGES].sort(), resource: "*" },
          { actions: [...PROVIDER_WRITES].sort(), resource: "*" },
          { actions: ["iam:CreateRole", "iam:UpdateAssumeRolePolicy"], resource: "*" },
        ]),
      );
      expect(BOUNDARY_POLICY_EDITS).toEqual(
        expect.arrayContaining([
          "iam:CreatePolicy",
          "iam:CreatePolicyVersion",
          "iam:SetDefaultPolicyVersion",
          "iam:DeletePolicy",
          "iam:DeletePolicyVersion",
        ]),
      );
    },
  );

  it("the deploy boundary allows no policy edit, boundary change, role or trust change, provider write, bucket-policy or bucket-protection change, PassRole or user", () => {
    const allowed = allowedActions(deployBoundary);
    for (const action of [
      ...BOUNDARY_POLICY_EDITS,
      ...BUCKET_POLICY_CHANGES,
      ...BUCKET_PROTECTION_CHANGES,
      ...PROVIDER_WRITES,
      ...ROLE_LIFECYCLE_WRITES,
      "iam:PutRolePermissionsBoundary",
      "iam:DeleteRolePermissionsBoundary",
      "iam:PassRole",
      "iam:CreateUser",
      "iam:AttachRolePolicy",
      "iam:CreateAccessKey",
    ]) {
      expect(allowed).not.toContain(action);
    }
    // The evaluator below handles Action/Resource only.
    for (const policy of [deployBoundary, appBoundary, deployRole]) {
      expect(policy.some((s) => s.NotAction || s.NotResource)).toBe(false);
    }
  });

  it("the app boundary allows the app bucket's listing and objects, nothing else", () => {
    const arn = bucketArnOf("AppBucket");
    expect(appBoundary.map((s) => ({ ...s, Resource: resolve(s.Resource) }))).toEqual([
      { Effect: "Allow", Action: "s3:ListBucket", Resource: arn },
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${arn}/*` },
    ]);
  });

  it("the stack-name limit keeps every generated role and bucket name whole (not cut), so the prefixes match", () => {
    for (const environments of [
      "production",
      "production,preview,development",
      "production,qa-eu-central-long-name",
    ]) {
      const max = githubStackNameMax(environments.split(","));
      const name = `K${"x".repeat(max - 1)}`;
      const long = synth({ KEYLESS_STACK_NAME: name, VERCEL_ENVIRONMENTS: environments }).raw
        .Resources as Resources;
      for (const id of idsOfType(long, "AWS::IAM::Role")) {
        expect(generatedRoleName(name, id).length).toBeLessThanOrEqual(64);
      }
      const bucketIds = idsOfType(long, "AWS::S3::Bucket");
      expect(bucketIds).toHaveLength(2);
      for (const id of bucketIds) {
        expect(generatedBucketName(name, id).length).toBeLessThanOrEqual(63);
        expect(generatedBucketName(name, id)).toMatch(
          new RegExp(`^${name.toLowerCase()}-appbucket`),
        );
      }
      // IAM's 6,144-character limit for a managed policy, at the longest name.
      const document = resolve(long[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID]?.Properties.PolicyDocument);
      expect(JSON.stringify(document).length).toBeLessThan(6144);
      // One character more is one line naming KEYLESS_STACK_NAME, before synth.
      expect(() =>
        synth({ KEYLESS_STACK_NAME: `${name}x`, VERCEL_ENVIRONMENTS: environments }),
      ).toThrow(
        new RegExp(
          `KEYLESS_STACK_NAME: "${name}x" is ${max + 1} characters; with KEYLESS_GITHUB_REPOSITORY it may have at most ${max}:.*Shorten KEYLESS_STACK_NAME`,
        ),
      );
    }
    // Without the deploy role the name is not limited by it.
    expect(() =>
      synth({ KEYLESS_GITHUB_REPOSITORY: "", KEYLESS_STACK_NAME: `K${"x".repeat(60)}` }),
    ).not.toThrow();
  });

  it("are clean under cdk-nag; their wildcards are acknowledged with reasons", () => {
    const { app, stack } = synth();
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });

  it("are absent without KEYLESS_GITHUB_REPOSITORY: no managed policy, no role carries a boundary", () => {
    const plain = synth({ KEYLESS_GITHUB_REPOSITORY: "" }).raw.Resources as Resources;
    const types = Object.values(plain).map((r) => r.Type);
    expect(types).not.toContain("AWS::IAM::ManagedPolicy");
    expect(types).toContain("AWS::IAM::Role");
    for (const r of Object.values(plain)) expect(r.Properties?.PermissionsBoundary).toBeUndefined();
  });
});

// --- What the roles can do, with their boundaries ---------------------------------------------
//
// IAM's rule for an identity policy with a permissions boundary (same account, no resource
// policy, no SCP): an explicit Deny in either refuses; otherwise the request needs an Allow in
// both — the stack's own evaluatePermission, on the template's statements with their intrinsics
// resolved.

interface Request {
  action: string;
  resource: string;
  /** `iam:PermissionsBoundary`: the role's boundary, or the one the request sets. */
  boundary?: string;
  /** Condition keys; a multi-valued key (cloudformation:ResourceTypes) as a list. */
  context?: Record<string, string | string[]>;
}

const documentOf = (statements: Statement[]): PolicyDocument => ({
  Statement: statements.map((statement) => resolve(statement)) as PolicyDocument["Statement"],
});

function allowed(identity: Statement[], boundary: Statement[], request: Request): boolean {
  return evaluatePermission(
    [documentOf(identity)],
    {
      action: request.action,
      resource: request.resource,
      context: {
        ...request.context,
        ...(request.boundary ? { "iam:PermissionsBoundary": request.boundary } : {}),
      },
    },
    [documentOf(boundary)],
  ).allowed;
}

/** The deploy role's request: under the deploy boundary. */
const deployAllowed = (identity: Statement[], request: Request) =>
  allowed(identity, deployBoundary, request);

/** What a compromised run could wish into its own inline policy: everything. */
const EVERYTHING: Statement[] = [{ Effect: "Allow", Action: "*", Resource: "*" }];

/** The boundary each of the template's roles carries, as its request's `iam:PermissionsBoundary`. */
const boundaryOfRole = (id: string) =>
  id === GITHUB_DEPLOY_ROLE_LOGICAL_ID ? DEPLOY_BOUNDARY_ARN : APP_BOUNDARY_ARN;

describe("the deploy role under the deploy boundary (evaluated)", () => {
  it.each([
    ["the deploy role's own policy", () => deployRole],
    ["`*` on `*` as its own policy", () => EVERYTHING],
  ])("with %s, it cannot escape the boundaries", (_label, get) => {
    const identity = get();
    const ownRole = roleArns[GITHUB_DEPLOY_ROLE_LOGICAL_ID] ?? "";
    const handMade = roleArn("VercelRoleHandMade");
    const realBuckets = Object.values(bucketArns);
    const vercelRoles = ["VercelRoleProduction", "VercelRolePreview"].map(
      (id) => roleArns[id] ?? "",
    );
    const refused: Request[] = [
      // A new role, even with the app boundary: it could trust anyone, or the attacker's own
      // repository through GitHub's provider, and keep the app bucket open after the run (3).
      ...["VercelRoleX", "VercelRoleProduction2"].map((name) => ({
        action: "iam:CreateRole",
        resource: roleArn(name),
        boundary: APP_BOUNDARY_ARN,
      })),
      // The Vercel roles' trust, settings or existence: administrator deploys (3).
      ...ROLE_LIFECYCLE_WRITES.flatMap((action) =>
        vercelRoles.map((resource) => ({ action, resource, boundary: APP_BOUNDARY_ARN })),
      ),
      // Its own principal tags (4).
      ...["iam:TagRole", "iam:UntagRole"].map((action) => ({ action, resource: ownRole })),
      // Any provider write, on the stack's providers or another (1).
      ...PROVIDER_WRITES.flatMap((action) =>
        [...PROVIDER_ARNS, `arn:aws:iam::${ACCOUNT}:oidc-provider/example.com`].map((resource) => ({
          action,
          resource,
        })),
      ),
      // Expiring every object and version, switching versioning, logging or encryption off (2).
      ...BUCKET_PROTECTION_CHANGES.flatMap((action) =>
        realBuckets.map((resource) => ({ action, resource })),
      ),
      // Roles without a boundary, another one, or the deploy boundary itself (D).
      { action: "iam:CreateRole", resource: roleArn("VercelRoleAdmin") },
      {
        action: "iam:CreateRole",
        resource: roleArn("VercelRoleAdmin"),
        boundary: `arn:aws:iam::${ACCOUNT}:policy/other`,
      },
      {
        action: "iam:CreateRole",
        resource: roleArn("VercelRoleAdmin"),
        boundary: DEPLOY_BOUNDARY_ARN,
      },
      { action: "iam:PutRolePolicy", resource: roleArn("VercelRoleNotBounded") },
      { action: "iam:UpdateAssumeRolePolicy", resource: roleArn("VercelRoleNotBounded") },
      // Itself: its policy and trust are an administrator's (D).
      ...[
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
      ].map((action) => ({ action, resource: ownRole, boundary: DEPLOY_BOUNDARY_ARN })),
      // Adopting a hand-made role by giving it a boundary, then editing it (A).
      ...[APP_BOUNDARY_ARN, DEPLOY_BOUNDARY_ARN].map((boundary) => ({
        action: "iam:PutRolePermissionsBoundary",
        resource: handMade,
        boundary,
      })),
      {
        action: "iam:PutRolePermissionsBoundary",
        resource: ownRole,
        boundary: "arn:aws:iam::aws:policy/AdministratorAccess",
      },
      {
        action: "iam:DeleteRolePermissionsBoundary",
        resource: roleArns.VercelRoleProduction ?? "",
        boundary: APP_BOUNDARY_ARN,
      },
      // Another stack whose name starts with this one's (C).
      ...ROLE_WRITES.map((action) => ({
        action,
        resource: roleArn("staging-x"),
        boundary: APP_BOUNDARY_ARN,
      })),
      ...BOUNDARY_POLICY_EDITS.flatMap((action) => [
        { action, resource: DEPLOY_BOUNDARY_ARN },
        { action, resource: APP_BOUNDARY_ARN },
      ]),
      { action: "iam:CreatePolicy", resource: `arn:aws:iam::${ACCOUNT}:policy/anything` },
      {
        action: "iam:AttachRolePolicy",
        resource: roleArns.VercelRoleProduction ?? "",
        boundary: APP_BOUNDARY_ARN,
      },
      { action: "iam:PassRole", resource: ownRole },
      { action: "iam:CreateUser", resource: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      { action: "iam:PutRolePolicy", resource: `arn:aws:iam::${ACCOUNT}:role/OrgAdmin` },
      { action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCOUNT}:role/OrgAdmin` },
      // The stack's buckets opened by a resource policy, which no boundary caps (B).
      ...BUCKET_POLICY_CHANGES.flatMap((action) =>
        realBuckets.map((resource) => ({ action, resource })),
      ),
      // Buckets that only share the stack's lower-case prefix (B).
      {
        action: "s3:PutLifecycleConfiguration",
        resource: bucketArn(`${STACK_LC}-otherbucket-1a2b3c`),
      },
      { action: "s3:PutBucketCORS", resource: bucketArn(`${STACK_LC}-backups`) },
      { action: "s3:CreateBucket", resource: bucketArn(`${STACK_LC}-appbucketevil`) },
      { action: "s3:GetObject", resource: "arn:aws:s3:::another-bucket/secret" },
      ...realBuckets.map((bucket) => ({
        action: "s3:GetObject",
        resource: `${bucket}/production/a`,
      })),
      { action: "ec2:RunInstances", resource: "*" },
    ];
    expect(refused.filter((request) => deployAllowed(identity, request))).toEqual([]);
  });

  it("creates change sets only with the resource types the stack was synthesized with", () => {
    const stackArn = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${STACK}/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`;
    // Read from the template itself: the list in the policy is derived, never kept by hand.
    const ownTypes = [...new Set(Object.values(resources).map((r) => r.Type))].sort();
    const changeSet = (types: string[]) => ({
      action: "cloudformation:CreateChangeSet",
      resource: stackArn,
      context: { "cloudformation:ResourceTypes": types },
    });
    expect(deployAllowed(deployRole, changeSet(ownTypes))).toBe(true);
    expect(deployAllowed(deployRole, changeSet(["AWS::IAM::Policy"]))).toBe(true);
    for (const foreign of [
      "AWS::Lambda::Function",
      "Custom::AnyThing",
      "AWS::CloudFormation::CustomResource",
      "Acme::Widgets::Widget",
    ]) {
      expect({
        foreign,
        allowed: deployAllowed(deployRole, changeSet([...ownTypes, foreign])),
      }).toEqual({ foreign, allowed: false });
    }
  });

  it("keeps every permission a deploy needs, on the names CloudFormation gives this stack's resources", () => {
    const realResources = [
      ...Object.entries(roleArns).map(([id, resource]) => ({
        resource,
        boundary: boundaryOfRole(id),
      })),
      ...Object.values(bucketArns).map((resource) => ({ resource, boundary: undefined })),
      `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${STACK}/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`,
      DEPLOY_BOUNDARY_ARN,
      APP_BOUNDARY_ARN,
      ...PROVIDER_ARNS,
      "*",
    ].map((r) => (typeof r === "string" ? { resource: r, boundary: undefined } : r));
    const checked: string[] = [];
    for (const statement of deployRole.filter((s) => s.Effect === "Allow")) {
      for (const pattern of [resolve(statement.Resource)].flat().map(String)) {
        const targets = realResources.filter((r) => wildcardMatches(pattern, r.resource));
        // Every pattern names a real resource of the stack (a `*` pattern matches them all).
        expect({ pattern, targets: targets.length }).not.toMatchObject({ targets: 0 });
        for (const target of pattern === "*" ? [{ resource: "*" }] : targets) {
          for (const action of actionsOf(statement)) {
            const request = { action, ...target };
            expect({ ...request, allowed: deployAllowed(deployRole, request) }).toMatchObject({
              allowed: true,
            });
            checked.push(`${action} ${target.resource}`);
          }
        }
      }
    }
    // The bucket permissions reach both of the stack's buckets; the role writes both Vercel roles'
    // policies and tags; it reads both providers.
    for (const bucket of Object.values(bucketArns)) {
      expect(checked).toContain(`s3:PutBucketCORS ${bucket}`);
    }
    for (const id of ["VercelRoleProduction", "VercelRolePreview"]) {
      expect(checked).toContain(`iam:PutRolePolicy ${roleArns[id]}`);
      expect(checked).toContain(`iam:TagRole ${roleArns[id]}`);
    }
    for (const provider of PROVIDER_ARNS) {
      expect(checked).toContain(`iam:GetOpenIDConnectProvider ${provider}`);
    }
    expect(checked).toContain(`iam:GetRole ${roleArns[GITHUB_DEPLOY_ROLE_LOGICAL_ID]}`);
    // verify (in the deploy workflow) takes the roles and bucket from this stack's resources…
    const ownStack = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${STACK}/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`;
    expect(checked).toContain(`cloudformation:DescribeStackResources ${ownStack}`);
    // …and may read no other stack's.
    expect(
      deployAllowed(deployRole, {
        action: "cloudformation:DescribeStackResources",
        resource: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/SomeoneElses/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab`,
      }),
    ).toBe(false);
  });
});

describe("the roles under the app boundary (evaluated)", () => {
  it("a Vercel role whose policy the deploy role rewrites gets at most the app bucket's objects, even with `*` on `*`", () => {
    const appBucket = bucketArnOf("AppBucket");
    const logBucket = bucketArnOf("AppBucketAccessLogs");
    const role = roleArns.VercelRolePreview ?? "";
    expect(
      deployAllowed(deployRole, {
        action: "iam:PutRolePolicy",
        resource: role,
        boundary: APP_BOUNDARY_ARN,
      }),
    ).toBe(true);
    const capped = (request: Request) => allowed(EVERYTHING, appBoundary, request);
    expect(capped({ action: "s3:GetObject", resource: `${appBucket}/production/a` })).toBe(true);
    expect(capped({ action: "s3:ListBucket", resource: appBucket })).toBe(true);
    const refused: Request[] = [
      { action: "s3:DeleteObject", resource: `${appBucket}/production/a` },
      { action: "s3:GetObject", resource: `${logBucket}/s3-access/x` },
      { action: "s3:PutBucketPolicy", resource: appBucket },
      { action: "s3:GetObject", resource: "arn:aws:s3:::another-bucket/secret" },
      { action: "iam:CreateRole", resource: role, boundary: APP_BOUNDARY_ARN },
      { action: "iam:PutRolePolicy", resource: role, boundary: APP_BOUNDARY_ARN },
      { action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCOUNT}:role/OrgAdmin` },
      { action: "cloudformation:ExecuteChangeSet", resource: "*" },
    ];
    expect(refused.filter(capped)).toEqual([]);
  });

  it("leaves each Vercel role every permission its own policy grants", () => {
    for (const roleId of ["VercelRoleProduction", "VercelRolePreview"]) {
      const own = statementsOf(policyOfRole(roleId));
      for (const statement of own) {
        const condition = resolve(statement.Condition) as Statement["Condition"];
        const context = Object.fromEntries(
          Object.values(condition ?? {}).flatMap((block) =>
            Object.entries(block).map(([key, values]) => [
              key,
              example(String([values].flat()[0])),
            ]),
          ),
        );
        for (const action of actionsOf(statement)) {
          const request = {
            action,
            resource: example(String(resolve(statement.Resource))),
            context,
          };
          expect({ roleId, ...request, allowed: allowed(own, appBoundary, request) }).toMatchObject(
            { allowed: true },
          );
        }
      }
    }
  });
});

/** A concrete name a pattern matches: each `*` becomes `x`. */
const example = (pattern: string) => pattern.replaceAll("*", "x");

/**
 * The CloudFormation intrinsics these templates use, resolved for one account: pseudo
 * parameters, Fn::Join, and the buckets' ARNs (as CloudFormation would name them). Anything else
 * throws, so the test cannot silently compare an unresolved token.
 */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  if ("Ref" in object) {
    if (object.Ref === "AWS::Partition") return "aws";
    if (object.Ref === "AWS::AccountId") return ACCOUNT;
    throw new Error(`unresolved Ref ${String(object.Ref)}`);
  }
  if ("Fn::Join" in object) {
    const [separator, parts] = object["Fn::Join"] as [string, unknown[]];
    return parts.map((part) => String(resolve(part))).join(separator);
  }
  if ("Fn::GetAtt" in object) {
    const [id, attribute] = object["Fn::GetAtt"] as [string, string];
    const bucket = bucketArns[id];
    if (bucket && attribute === "Arn") return bucket;
    throw new Error(`unresolved Fn::GetAtt ${id}.${attribute}`);
  }
  return Object.fromEntries(Object.entries(object).map(([key, v]) => [key, resolve(v)]));
}
