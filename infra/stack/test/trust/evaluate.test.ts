// The evaluator against AWS's documented rules (IAM User Guide: policy evaluation logic, the
// Condition element, condition operators, set operators for multivalued keys).

import { describe, expect, it } from "vitest";
import {
  conditionHolds,
  contextFromClaims,
  evaluatePermission,
  evaluateTrustPolicy,
  issuerHostPath,
  oidcProviderArn,
  type PolicyDocument,
  type PolicyStatement,
  wildcardMatches,
} from "../../src/trust/evaluate";

const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/acme";
const ACTION = "sts:AssumeRoleWithWebIdentity";
const SUB = "oidc.vercel.com/acme:sub";
const AUD = "oidc.vercel.com/acme:aud";

describe("condition operators", () => {
  const M = undefined; // key missing from the request context
  it.each<[string, string[], string[] | undefined, boolean, string]>([
    ["StringEquals", ["a"], ["a"], true, "exact match"],
    ["StringEquals", ["a"], ["A"], false, "values are case-sensitive"],
    ["StringEquals", ["a", "b"], ["b"], true, "several values = OR"],
    ["StringEquals", ["a"], M, false, "missing key → false"],
    ["StringNotEquals", ["a", "b"], ["c"], true, "negated: matches none"],
    ["StringNotEquals", ["a", "b"], ["b"], false, "negated with several values = NOR"],
    ["StringNotEquals", ["a"], M, true, "negated operator, missing key → true"],
    ["StringEqualsIgnoreCase", ["ABC"], ["abc"], true, "IgnoreCase"],
    ["StringNotEqualsIgnoreCase", ["ABC"], ["abc"], false, "negated IgnoreCase"],
    ["StringNotEqualsIgnoreCase", ["ABC"], M, true, "negated IgnoreCase, missing → true"],
    ["StringLike", ["owner:acme:*"], ["owner:acme:project:web"], true, "* matches a run"],
    ["StringLike", ["owner:acme:*"], ["owner:acme:"], true, "* matches empty"],
    ["StringLike", ["a?c"], ["abc"], true, "? matches one character"],
    ["StringLike", ["a?c"], ["abbc"], false, "? matches exactly one"],
    ["StringLike", ["a.c"], ["abc"], false, "other characters are literal"],
    ["StringLike", ["A*"], ["abc"], false, "StringLike is case-sensitive"],
    ["StringLike", ["*"], M, false, "StringLike, missing key → false"],
    ["StringNotLike", ["*:preview"], ["x:preview"], false, "StringNotLike match → false"],
    ["StringNotLike", ["*:preview"], ["x:production"], true, "StringNotLike no match → true"],
    ["StringNotLike", ["*"], M, true, "StringNotLike, missing → true"],
    ["StringEqualsIfExists", ["a"], M, true, "IfExists: missing → true"],
    ["StringEqualsIfExists", ["a"], ["b"], false, "IfExists: present → evaluated"],
    ["StringEqualsIfExists", ["a"], ["a"], true, "IfExists: present and equal"],
    ["StringLikeIfExists", ["a*"], ["ab"], true, "StringLikeIfExists"],
    ["StringNotLikeIfExists", ["a*"], ["ab"], false, "StringNotLikeIfExists, present"],
    ["ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], true, "ForAnyValue: one matches"],
    ["ForAnyValue:StringEquals", ["a", "b"], ["c"], false, "ForAnyValue: none match"],
    ["ForAnyValue:StringEquals", ["a"], M, false, "ForAnyValue, missing key → false"],
    ["ForAnyValue:StringNotEquals", ["a"], ["a", "b"], true, "ForAnyValue negated: one differs"],
    ["ForAnyValue:StringNotEquals", ["a"], ["a"], false, "ForAnyValue negated: all equal"],
    ["ForAllValues:StringEquals", ["a", "b"], ["a", "b"], true, "ForAllValues: every one listed"],
    ["ForAllValues:StringEquals", ["a", "b"], ["a", "c"], false, "ForAllValues: one not listed"],
    ["ForAllValues:StringEquals", ["a"], M, true, "ForAllValues, missing key → true"],
    ["ForAllValues:StringLike", ["a*"], ["ab", "ac"], true, "ForAllValues:StringLike"],
    ["ForAllValues:StringNotEquals", ["a"], ["b", "c"], true, "ForAllValues negated: none equal"],
    ["ForAllValues:StringNotEquals", ["a"], ["a", "b"], false, "ForAllValues negated: one equal"],
    ["Null", ["true"], M, true, "Null true: key absent"],
    ["Null", ["true"], ["x"], false, "Null true: key present"],
    ["Null", ["false"], ["x"], true, "Null false: key present"],
    ["Null", ["false"], M, false, "Null false: key absent"],
    ["NumericEquals", ["1"], ["1"], false, "unsupported operator never holds (fails closed)"],
  ])("%s %j vs %j → %s (%s)", (operator, policyValues, requestValues, expected) => {
    expect(conditionHolds(operator, policyValues, requestValues)).toBe(expected);
  });

  it("wildcards escape everything but * and ?", () => {
    expect(wildcardMatches("a+b(c)*", "a+b(c)d")).toBe(true);
    expect(wildcardMatches("a+b", "aab")).toBe(false);
    expect(wildcardMatches("STS:*", "sts:AssumeRole", true)).toBe(true);
  });
});

const allow = (condition: PolicyStatement["Condition"], extra: Partial<PolicyStatement> = {}) =>
  ({
    Effect: "Allow",
    Principal: { Federated: PROVIDER },
    Action: ACTION,
    Condition: condition,
    ...extra,
  }) as PolicyStatement;
const policy = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});
const request = (context: Record<string, string | string[]>, overrides = {}) => ({
  principal: PROVIDER,
  action: ACTION,
  context,
  ...overrides,
});
const prodSub = "owner:acme:project:web:environment:production";
const previewSub = "owner:acme:project:web:environment:preview";
const STRICT = allow({ StringEquals: { [AUD]: "https://vercel.com/acme", [SUB]: prodSub } });

describe("evaluateTrustPolicy", () => {
  it("allows when principal, action and every condition match", () => {
    const decision = evaluateTrustPolicy(
      policy(STRICT),
      request({ [AUD]: "https://vercel.com/acme", [SUB]: prodSub }),
    );
    expect(decision).toEqual({
      allowed: true,
      reason: "allowed by Statement[0]",
      matchedStatement: "Statement[0]",
    });
  });

  it("several keys = AND: a right sub with a wrong aud is denied, and the reason says so", () => {
    const decision = evaluateTrustPolicy(
      policy(STRICT),
      request({ [AUD]: "sts.amazonaws.com", [SUB]: prodSub }),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain(`${AUD} wants "https://vercel.com/acme"`);
    expect(decision.reason).toContain('token has "sts.amazonaws.com"');
  });

  it("several operators = AND", () => {
    const doc = policy(
      allow({
        StringEquals: { [AUD]: "https://vercel.com/acme" },
        StringLike: { [SUB]: "owner:acme:project:web:environment:*" },
      }),
    );
    expect(
      evaluateTrustPolicy(doc, request({ [AUD]: "https://vercel.com/acme", [SUB]: previewSub }))
        .allowed,
    ).toBe(true);
    expect(evaluateTrustPolicy(doc, request({ [AUD]: "x", [SUB]: previewSub })).allowed).toBe(
      false,
    );
    expect(evaluateTrustPolicy(doc, request({ [AUD]: "https://vercel.com/acme" })).allowed).toBe(
      false,
    );
  });

  it("several statements = OR", () => {
    const doc = policy(
      { ...STRICT, Sid: "Production" },
      allow({ StringEquals: { [SUB]: previewSub } }, { Sid: "Preview" }),
    );
    const decision = evaluateTrustPolicy(doc, request({ [SUB]: previewSub }));
    expect(decision).toMatchObject({ allowed: true, matchedStatement: "Preview" });
  });

  it("an explicit Deny wins over any Allow", () => {
    const doc = policy(allow({ StringLike: { [SUB]: "owner:acme:*" } }), {
      Sid: "NoPreview",
      Effect: "Deny",
      Principal: { Federated: PROVIDER },
      Action: "sts:*",
      Condition: { StringLike: { [SUB]: "*:environment:preview" } },
    });
    expect(evaluateTrustPolicy(doc, request({ [SUB]: previewSub }))).toEqual({
      allowed: false,
      reason: 'explicitly denied by statement "NoPreview"',
      matchedStatement: "NoPreview",
    });
    expect(evaluateTrustPolicy(doc, request({ [SUB]: prodSub })).allowed).toBe(true);
  });

  it("condition key names are case-insensitive, values are not", () => {
    const doc = policy(allow({ StringEquals: { "OIDC.Vercel.com/ACME:SUB": prodSub } }));
    expect(evaluateTrustPolicy(doc, request({ [SUB]: prodSub })).allowed).toBe(true);
    expect(evaluateTrustPolicy(doc, request({ [SUB]: prodSub.toUpperCase() })).allowed).toBe(false);
  });

  it("the Federated principal must be the token's provider", () => {
    const other = "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com";
    const decision = evaluateTrustPolicy(
      policy(STRICT),
      request({ [AUD]: "https://vercel.com/acme", [SUB]: prodSub }, { principal: other }),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain(`principal ${other} is not Federated ${PROVIDER}`);
    const listed = policy(allow(undefined, { Principal: { Federated: [other, PROVIDER] } }));
    expect(evaluateTrustPolicy(listed, request({})).allowed).toBe(true);
    expect(
      evaluateTrustPolicy(policy(allow(undefined, { Principal: "*" })), request({})).allowed,
    ).toBe(true);
  });

  it.each([
    ["sts:AssumeRoleWithWebIdentity", true],
    ["STS:assumerolewithwebidentity", true],
    ["sts:AssumeRole*", true],
    ["sts:AssumeRoleWith?ebIdentity", true],
    ["sts:*", true],
    ["*", true],
    ["sts:AssumeRole", false],
    ["sts:TagSession", false],
  ])("Action %s → %s (wildcards, case-insensitive)", (action, expected) => {
    const doc = policy(allow(undefined, { Action: [action] }));
    expect(evaluateTrustPolicy(doc, request({})).allowed).toBe(expected);
  });

  it("NotAction excludes, NotPrincipal excludes", () => {
    const notAction = policy(allow(undefined, { Action: undefined, NotAction: "sts:AssumeRole" }));
    expect(evaluateTrustPolicy(notAction, request({})).allowed).toBe(true);
    const notThis = policy(allow(undefined, { Action: undefined, NotAction: "sts:*" }));
    expect(evaluateTrustPolicy(notThis, request({})).allowed).toBe(false);
    const notPrincipal = policy(
      allow(undefined, { Principal: undefined, NotPrincipal: { Federated: PROVIDER } }),
    );
    expect(evaluateTrustPolicy(notPrincipal, request({})).allowed).toBe(false);
  });

  it("accepts the policy as JSON or URL-encoded JSON (as IAM's GetRole returns it)", () => {
    const json = JSON.stringify(policy(STRICT));
    const ctx = request({ [AUD]: "https://vercel.com/acme", [SUB]: prodSub });
    expect(evaluateTrustPolicy(json, ctx).allowed).toBe(true);
    expect(evaluateTrustPolicy(encodeURIComponent(json), ctx).allowed).toBe(true);
    expect(evaluateTrustPolicy({ Statement: STRICT }, ctx).allowed).toBe(true);
  });

  it("with no statement, the request is implicitly denied", () => {
    expect(evaluateTrustPolicy(policy(), request({}))).toEqual({
      allowed: false,
      reason: "the policy is empty",
    });
  });

  it("Null with a boolean value, as JSON policies may write it", () => {
    const doc = policy(allow({ Null: { "oidc.vercel.com/acme:amr": true } }));
    expect(evaluateTrustPolicy(doc, request({})).allowed).toBe(true);
    expect(
      evaluateTrustPolicy(doc, request({ "oidc.vercel.com/acme:amr": ["authenticated"] })).allowed,
    ).toBe(false);
  });
});

describe("claims → context", () => {
  it("maps sub, aud and amr under the provider's host/path", () => {
    expect(
      contextFromClaims("oidc.vercel.com/acme", {
        sub: prodSub,
        aud: "https://vercel.com/acme",
        amr: ["authenticated"],
        owner_id: "team_abc",
        exp: 1,
      }),
    ).toEqual({
      [SUB]: prodSub,
      [AUD]: "https://vercel.com/acme",
      "oidc.vercel.com/acme:amr": ["authenticated"],
    });
  });

  it("uses azp as aud when present and keeps aud as oaud", () => {
    expect(
      contextFromClaims("issuer.example", { sub: "s", aud: ["x", "y"], azp: "client" }),
    ).toEqual({
      "issuer.example:sub": "s",
      "issuer.example:aud": "client",
      "issuer.example:oaud": ["x", "y"],
    });
  });

  it("names providers the way IAM does", () => {
    expect(issuerHostPath("https://oidc.vercel.com/acme/")).toBe("oidc.vercel.com/acme");
    expect(oidcProviderArn("https://oidc.vercel.com", "111122223333")).toBe(
      "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com",
    );
  });
});

describe("evaluatePermission", () => {
  const TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/S-NotesTableProduction-A";
  const allow = (Action: string | string[], Resource: string | string[]) => ({
    Statement: [{ Effect: "Allow" as const, Action, Resource }],
  });
  const request = { action: "dynamodb:GetItem", resource: TABLE };

  it("an Allow on the resource allows; any other resource, or no Allow, is an implicit deny", () => {
    expect(evaluatePermission([allow("dynamodb:GetItem", TABLE)], request).allowed).toBe(true);
    // Action names ignore case; resources do not.
    expect(evaluatePermission([allow("DynamoDB:getitem", TABLE)], request).allowed).toBe(true);
    expect(
      evaluatePermission([allow("dynamodb:GetItem", TABLE.toLowerCase())], request).allowed,
    ).toBe(false);
    expect(evaluatePermission([allow("dynamodb:GetItem", `${TABLE}2`)], request)).toEqual({
      allowed: false,
      reason: "because no identity-based policy allows the dynamodb:GetItem action",
    });
    expect(evaluatePermission([allow("dynamodb:*", "*")], request).allowed).toBe(true);
  });

  it("NotAction and NotResource allow everything they do not name", () => {
    const notAction = {
      Statement: [{ Effect: "Allow" as const, NotAction: "s3:*", Resource: "*" }],
    };
    expect(evaluatePermission([notAction], request).allowed).toBe(true);
    const notResource = {
      Statement: [{ Effect: "Allow" as const, Action: "dynamodb:*", NotResource: `${TABLE}2` }],
    };
    expect(evaluatePermission([notResource], request).allowed).toBe(true);
    expect(evaluatePermission([notResource], { ...request, resource: `${TABLE}2` }).allowed).toBe(
      false,
    );
  });

  it("a boundary caps the identity policies; an explicit Deny in either wins", () => {
    const everything = allow("*", "*");
    expect(evaluatePermission([everything], request, [allow("s3:GetObject", "*")])).toEqual({
      allowed: false,
      reason: "because no permissions boundary allows the dynamodb:GetItem action",
    });
    const deny = { Statement: [{ Effect: "Deny" as const, Action: "dynamodb:*", Resource: "*" }] };
    expect(evaluatePermission([everything, deny], request).reason).toBe(
      "with an explicit deny in an identity-based policy",
    );
    expect(evaluatePermission([everything], request, [everything, deny]).reason).toBe(
      "with an explicit deny in a permissions boundary",
    );
  });

  it("conditions: String operators on the request's context; a Deny it cannot read applies", () => {
    const conditional = {
      Statement: [
        {
          Effect: "Allow" as const,
          Action: "dynamodb:GetItem",
          Resource: TABLE,
          Condition: { StringEquals: { "aws:PrincipalTag/team": "a" } },
        },
      ],
    };
    expect(evaluatePermission([conditional], request).allowed).toBe(false);
    expect(
      evaluatePermission([conditional], { ...request, context: { "AWS:PrincipalTag/team": "a" } })
        .allowed,
    ).toBe(true);
    // ArnNotLike is not implemented: an Allow under it never holds, a Deny under it always does.
    const unreadable = (Effect: "Allow" | "Deny") => ({
      Statement: [
        {
          Effect,
          Action: "dynamodb:*",
          Resource: "*",
          Condition: { ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/admin" } },
        },
      ],
    });
    expect(evaluatePermission([unreadable("Allow")], request).allowed).toBe(false);
    expect(evaluatePermission([allow("*", "*"), unreadable("Deny")], request).allowed).toBe(false);
  });
});
