// The deploy boundary (src/github-oidc.ts, applied in src/keyless-stack.ts), asserted on the
// synthesized template: which roles carry it, which statements carry its condition, what it
// denies — and, through a small evaluator, what the deploy role can and cannot do with it.

import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID } from "../src/github-naming";
import { DEPLOY_DENIALS } from "../src/github-oidc";
import { conditionHolds, wildcardMatches } from "../src/trust/evaluate";
import { githubSynthesizer } from "./helpers/github-synth";

const ACCOUNT = "111122223333";
const STACK = "KeylessVercelOidc";
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/${STACK}-deploy-boundary`;
const APP_BUCKET = "keylessverceloidc-appbucket-1a2b3c";
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${STACK}-${name}`;
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
const POLICY_EDITS = DEPLOY_DENIALS.find((d) => d.scope === "boundary")?.actions ?? [];

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
let boundary: Statement[];
let deployRole: Statement[];
beforeAll(() => {
  resources = synth({ VERCEL_ENVIRONMENTS: "production,preview" }).raw.Resources;
  boundary = statementsOf(resources[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID]);
  deployRole = statementsOf(policyOfRole("GithubDeployRole"));
});

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

const actionsOf = (s: Statement) => [s.Action].flat();

describe("the deploy boundary", { timeout: 60_000 }, () => {
  it("is a managed policy of this stack, and every role of the stack carries it", () => {
    const policy = resources[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID];
    expect(policy?.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(policy?.Properties.ManagedPolicyName).toBe(`${STACK}-deploy-boundary`);
    const roles = Object.entries(resources).filter(([, r]) => r.Type === "AWS::IAM::Role");
    expect(roles.map(([id]) => id).sort()).toEqual([
      "GithubDeployRole",
      "VercelRolePreview",
      "VercelRoleProduction",
    ]);
    for (const [, role] of roles) {
      expect(role.Properties.PermissionsBoundary).toEqual({
        Ref: GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID,
      });
    }
    const types = new Set(Object.values(resources).map((r) => r.Type));
    expect([...types].filter((t) => /IAM::(User|Group)$/.test(t))).toEqual([]);
  });

  it.each([
    ["the deploy role's policy", () => deployRole],
    ["the boundary", () => boundary],
  ])("%s: every role write that takes iam:PermissionsBoundary requires it", (_label, get) => {
    const statements = get();
    const writes = statements.filter(
      (s) => s.Effect === "Allow" && actionsOf(s).some((a) => BOUNDED_ROLE_WRITES.includes(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const statement of writes) {
      expect(resolve(statement.Condition)).toEqual({
        StringEquals: { "iam:PermissionsBoundary": BOUNDARY_ARN },
      });
    }
    // No other statement grants them, by name or by a wildcard.
    const everyAction = statements.filter((s) => s.Effect === "Allow").flatMap(actionsOf);
    expect(everyAction.filter((a) => a.includes("*"))).toEqual([]);
  });

  it.each([
    ["the deploy role's policy", () => deployRole],
    ["the boundary", () => boundary],
  ])("%s: denies removing a boundary and editing the boundary policy", (_label, get) => {
    const denials = get()
      .filter((s) => s.Effect === "Deny")
      .map((s) => ({ actions: actionsOf(s).sort(), resource: resolve(s.Resource) }));
    expect(denials).toEqual(
      expect.arrayContaining([
        { actions: ["iam:DeleteRolePermissionsBoundary"], resource: roleArn("*") },
        { actions: [...POLICY_EDITS].sort(), resource: BOUNDARY_ARN },
      ]),
    );
    expect(POLICY_EDITS).toEqual(
      expect.arrayContaining([
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
      ]),
    );
  });

  it("allows no managed-policy edit, no boundary removal, no PassRole, no users", () => {
    const allowed = boundary.filter((s) => s.Effect === "Allow").flatMap(actionsOf);
    for (const action of [
      ...POLICY_EDITS,
      "iam:DeleteRolePermissionsBoundary",
      "iam:PassRole",
      "iam:CreateUser",
      "iam:AttachRolePolicy",
      "iam:CreateAccessKey",
    ]) {
      expect(allowed).not.toContain(action);
    }
    // The evaluator below handles Action/Resource only.
    expect(boundary.some((s) => s.NotAction || s.NotResource)).toBe(false);
  });

  it("fits IAM's 6,144-character limit for a managed policy, even with a 112-character stack name", () => {
    const longName = `K${"x".repeat(111)}`;
    const long = synth({ KEYLESS_STACK_NAME: longName }).raw.Resources as Resources;
    const document = resolve(long[GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID]?.Properties.PolicyDocument);
    expect(JSON.stringify(document).length).toBeLessThan(6144);
    expect(() => synth({ KEYLESS_STACK_NAME: `${longName}x` })).toThrow(
      /longer than IAM's 128 characters: shorten KEYLESS_STACK_NAME to at most 112/,
    );
  });

  it("is clean under cdk-nag; its wildcards are acknowledged with reasons", () => {
    const { app, stack } = synth();
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });

  it("is absent without KEYLESS_GITHUB_REPOSITORY: no managed policy, no role carries a boundary", () => {
    const plain = synth({ KEYLESS_GITHUB_REPOSITORY: "" }).raw.Resources as Resources;
    const types = Object.values(plain).map((r) => r.Type);
    expect(types).not.toContain("AWS::IAM::ManagedPolicy");
    expect(types).toContain("AWS::IAM::Role");
    for (const r of Object.values(plain)) expect(r.Properties?.PermissionsBoundary).toBeUndefined();
  });
});

// --- What the deploy role can do, with the boundary -------------------------------------------
//
// IAM's rule for an identity policy with a permissions boundary (same account, no resource
// policy, no SCP): an explicit Deny in either refuses; otherwise the request needs an Allow in
// both. A statement applies when an Action, a Resource and every Condition match. The templates
// use no NotAction/NotResource (asserted above), so that is all this needs.

interface Request {
  action: string;
  resource: string;
  /** `iam:PermissionsBoundary`: the role's boundary, or the one the request sets. */
  boundary?: string;
  context?: Record<string, string>;
}

function applies(statement: Statement, request: Request): boolean {
  const resolved = resolve(statement) as Statement;
  const context = new Map<string, string[]>(
    Object.entries({
      ...request.context,
      ...(request.boundary ? { "iam:PermissionsBoundary": request.boundary } : {}),
    }).map(([key, value]) => [key.toLowerCase(), [value]]),
  );
  return (
    actionsOf(resolved).some((a) => wildcardMatches(a, request.action, true)) &&
    [resolved.Resource].flat().some((r) => wildcardMatches(String(r), request.resource)) &&
    Object.entries(resolved.Condition ?? {}).every(([operator, block]) =>
      Object.entries(block).every(([key, values]) =>
        conditionHolds(operator, [values].flat().map(String), context.get(key.toLowerCase())),
      ),
    )
  );
}

function allowed(identity: Statement[], request: Request): boolean {
  const matching = (policy: Statement[], effect: string) =>
    policy.some((s) => s.Effect === effect && applies(s, request));
  if (matching(identity, "Deny") || matching(boundary, "Deny")) return false;
  return matching(identity, "Allow") && matching(boundary, "Allow");
}

/** What a compromised run could write into its own inline policy: everything. */
const EVERYTHING: Statement[] = [{ Effect: "Allow", Action: "*", Resource: "*" }];

describe("the deploy role under its boundary (evaluated)", () => {
  it.each([
    ["the deploy role's own policy", () => deployRole],
    ["`*` on `*`, written into its own inline policy", () => EVERYTHING],
  ])("with %s, it cannot escape the boundary", (_label, get) => {
    const identity = get();
    const refused: Request[] = [
      { action: "iam:CreateRole", resource: roleArn("Admin") },
      {
        action: "iam:CreateRole",
        resource: roleArn("Admin"),
        boundary: `arn:aws:iam::${ACCOUNT}:policy/other`,
      },
      { action: "iam:PutRolePolicy", resource: roleArn("NotBounded") },
      { action: "iam:UpdateAssumeRolePolicy", resource: roleArn("NotBounded") },
      {
        action: "iam:DeleteRolePermissionsBoundary",
        resource: roleArn("Deploy"),
        boundary: BOUNDARY_ARN,
      },
      {
        action: "iam:PutRolePermissionsBoundary",
        resource: roleArn("Deploy"),
        boundary: `arn:aws:iam::aws:policy/AdministratorAccess`,
      },
      ...POLICY_EDITS.map((action) => ({ action, resource: BOUNDARY_ARN })),
      { action: "iam:CreatePolicy", resource: `arn:aws:iam::${ACCOUNT}:policy/anything` },
      { action: "iam:AttachRolePolicy", resource: roleArn("Deploy"), boundary: BOUNDARY_ARN },
      { action: "iam:PassRole", resource: roleArn("Deploy") },
      { action: "iam:CreateUser", resource: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      { action: "iam:PutRolePolicy", resource: `arn:aws:iam::${ACCOUNT}:role/OrgAdmin` },
      { action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCOUNT}:role/OrgAdmin` },
      { action: "s3:GetObject", resource: "arn:aws:s3:::another-bucket/secret" },
      { action: "s3:DeleteObject", resource: `arn:aws:s3:::${APP_BUCKET}/production/a` },
      { action: "ec2:RunInstances", resource: "*" },
    ];
    expect(refused.filter((request) => allowed(identity, request))).toEqual([]);
  });

  it("keeps every permission a deploy needs, on roles that carry the boundary", () => {
    for (const statement of deployRole.filter((s) => s.Effect === "Allow")) {
      for (const action of actionsOf(statement)) {
        for (const resource of [resolve(statement.Resource)].flat()) {
          const request = { action, resource: example(String(resource)), boundary: BOUNDARY_ARN };
          expect({ ...request, allowed: allowed(deployRole, request) }).toMatchObject({
            allowed: true,
          });
        }
      }
    }
    // It may rewrite its own inline policy and the Vercel roles' — the boundary still caps them.
    expect(
      allowed(deployRole, {
        action: "iam:PutRolePolicy",
        resource: roleArn("GithubDeployRole-AB12"),
        boundary: BOUNDARY_ARN,
      }),
    ).toBe(true);
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
          expect({ roleId, ...request, allowed: allowed(own, request) }).toMatchObject({
            allowed: true,
          });
        }
      }
    }
  });
});

/** A concrete name a pattern matches: each `*` becomes `x`. */
const example = (pattern: string) => pattern.replaceAll("*", "x");

/**
 * The CloudFormation intrinsics these templates use, resolved for one account: pseudo
 * parameters, Fn::Join, and the app bucket's ARN. Anything else throws, so the test cannot
 * silently compare an unresolved token.
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
    // The app bucket (its access-log bucket's id starts with AppBucket too: AppBucketAccessLogs…).
    if (/^AppBucket[0-9A-F]{8}$/.test(id) && attribute === "Arn")
      return `arn:aws:s3:::${APP_BUCKET}`;
    throw new Error(`unresolved Fn::GetAtt ${id}.${attribute}`);
  }
  return Object.fromEntries(Object.entries(object).map(([key, v]) => [key, resolve(v)]));
}
