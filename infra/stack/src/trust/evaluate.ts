// Decides whether an IAM role's trust policy lets a web-identity token assume it, following AWS's
// documented evaluation rules for the parts trust policies use. Hand-written on purpose: the
// maintained JavaScript IAM simulator is AGPL-licensed, wrong for a template people copy into
// their own (often closed) projects, and this needs only a small, testable subset.
//
// Rules (AWS IAM User Guide: policy evaluation logic, Condition element, condition operators):
// - An explicit Deny in any matching statement wins; otherwise a matching Allow allows; otherwise
//   the request is implicitly denied. Several statements = OR.
// - A statement matches when its Principal, Action and every Condition match.
// - Condition: several operators = AND, several keys in one operator = AND, several values for
//   one key = OR (for negated operators: the request value must match none of them).
// - Condition key names are case-insensitive; values are case-sensitive unless the operator says
//   IgnoreCase. StringLike/StringNotLike take `*` (any run) and `?` (one character).
// - A key missing from the request: the condition is false, except negated operators (true),
//   …IfExists (true), Null (tests presence), ForAllValues (true: the empty set), ForAnyValue (false).
// - Policy variables (`${…}`) are not expanded: Keyless's trust policies use none.

export type Values = string | readonly string[];

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, Values>;
  NotPrincipal?: Record<string, Values>;
  Action?: Values;
  NotAction?: Values;
  Condition?: Record<string, Record<string, Values | boolean | readonly boolean[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | readonly PolicyStatement[];
}

export interface TrustRequest {
  /** The federated principal: the IAM OIDC provider's ARN for the token's issuer. */
  principal: string;
  /** Usually sts:AssumeRoleWithWebIdentity. */
  action: string;
  /** Condition keys → request values, e.g. `oidc.vercel.com/acme:sub`. */
  context: Readonly<Record<string, Values>>;
}

export interface TrustDecision {
  allowed: boolean;
  /** Why, in words a user can act on. */
  reason: string;
  /** Sid (or Statement[i]) of the statement that decided, when one did. */
  matchedStatement?: string;
}

const asList = (values: Values): readonly string[] =>
  typeof values === "string" ? [values] : values;

/** Evaluates `policy` (a document or its JSON, URL-encoded as IAM returns it or not). */
export function evaluateTrustPolicy(
  policy: PolicyDocument | string,
  request: TrustRequest,
): TrustDecision {
  const document = typeof policy === "string" ? parsePolicy(policy) : policy;
  const statements = Array.isArray(document.Statement)
    ? (document.Statement as readonly PolicyStatement[])
    : [document.Statement as PolicyStatement];
  const context = lowerCaseKeys(request.context);

  let allow: string | undefined;
  const misses: string[] = [];
  for (const [index, statement] of statements.entries()) {
    const label = statement.Sid ? `statement "${statement.Sid}"` : `Statement[${index}]`;
    const miss = statementMiss(statement, request, context);
    if (miss !== undefined) {
      misses.push(`${label}: ${miss}`);
      continue;
    }
    if (statement.Effect === "Deny") {
      return {
        allowed: false,
        reason: `explicitly denied by ${label}`,
        matchedStatement: statement.Sid ?? `Statement[${index}]`,
      };
    }
    allow ??= statement.Sid ?? `Statement[${index}]`;
  }
  if (allow !== undefined) {
    return { allowed: true, reason: `allowed by ${labelOf(allow)}`, matchedStatement: allow };
  }
  return {
    allowed: false,
    reason:
      misses.length > 0 ? `no statement allows it (${misses.join("; ")})` : "the policy is empty",
  };
}

const labelOf = (id: string) => (id.startsWith("Statement[") ? id : `statement "${id}"`);

function parsePolicy(text: string): PolicyDocument {
  // IAM's GetRole returns the document URL-encoded.
  const json = text.trimStart().startsWith("%") ? decodeURIComponent(text) : text;
  return JSON.parse(json) as PolicyDocument;
}

function lowerCaseKeys(context: TrustRequest["context"]): Map<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(context)) map.set(key.toLowerCase(), asList(value));
  return map;
}

/** Why `statement` does not apply to the request, or undefined when it does. */
function statementMiss(
  statement: PolicyStatement,
  request: TrustRequest,
  context: Map<string, readonly string[]>,
): string | undefined {
  if (statement.Principal !== undefined && !principalMatches(statement.Principal, request)) {
    return `principal ${request.principal} is not ${describePrincipal(statement.Principal)}`;
  }
  if (statement.NotPrincipal !== undefined && principalMatches(statement.NotPrincipal, request)) {
    return `principal ${request.principal} is excluded by NotPrincipal`;
  }
  if (statement.Action !== undefined && !actionMatches(statement.Action, request.action)) {
    return `action ${request.action} is not ${asList(statement.Action).join(" or ")}`;
  }
  if (statement.NotAction !== undefined && actionMatches(statement.NotAction, request.action)) {
    return `action ${request.action} is excluded by NotAction`;
  }
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(block)) {
      const policyValues = (Array.isArray(expected) ? expected : [expected]).map(String);
      const actual = context.get(key.toLowerCase());
      if (!conditionHolds(operator, policyValues, actual)) {
        const got = actual === undefined ? "no such key" : actual.map((v) => `"${v}"`).join(", ");
        const want = policyValues.map((v) => `"${v}"`).join(" or ");
        return `${operator} ${key} wants ${want}, token has ${got}`;
      }
    }
  }
  return undefined;
}

function principalMatches(
  principal: NonNullable<PolicyStatement["Principal"]>,
  request: TrustRequest,
): boolean {
  // A web-identity caller is a Federated principal; "*" (or AWS "*") stands for everyone.
  if (principal === "*") return true;
  return Object.entries(principal).some(([kind, values]) =>
    asList(values).some(
      (value) => value === "*" || (kind === "Federated" && value === request.principal),
    ),
  );
}

function describePrincipal(principal: NonNullable<PolicyStatement["Principal"]>): string {
  if (principal === "*") return "*";
  return Object.entries(principal)
    .map(([kind, values]) => `${kind} ${asList(values).join(" or ")}`)
    .join(" or ");
}

function actionMatches(actions: Values, action: string): boolean {
  // Action names are case-insensitive.
  return asList(actions).some((pattern) => wildcardMatches(pattern, action, true));
}

/** `*` matches any run of characters, `?` exactly one; everything else literally. */
export function wildcardMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

type Comparator = (policyValue: string, requestValue: string) => boolean;

const COMPARATORS: Record<string, { compare: Comparator; negated: boolean }> = {
  stringequals: { compare: (p, r) => p === r, negated: false },
  stringnotequals: { compare: (p, r) => p === r, negated: true },
  stringequalsignorecase: {
    compare: (p, r) => p.toLowerCase() === r.toLowerCase(),
    negated: false,
  },
  stringnotequalsignorecase: {
    compare: (p, r) => p.toLowerCase() === r.toLowerCase(),
    negated: true,
  },
  stringlike: { compare: (p, r) => wildcardMatches(p, r), negated: false },
  stringnotlike: { compare: (p, r) => wildcardMatches(p, r), negated: true },
};

/** The operator without its set qualifier and IfExists: `ForAnyValue:StringLikeIfExists` → stringlike. */
const baseOperator = (operator: string) =>
  operator
    .toLowerCase()
    .replace(/^(foranyvalue|forallvalues):/, "")
    .replace(/ifexists$/, "");

/** True for the operators this evaluator implements (the String ones and Null). */
export const conditionOperatorKnown = (operator: string): boolean =>
  baseOperator(operator) === "null" || baseOperator(operator) in COMPARATORS;

/** Operator names are matched case-insensitively; an unknown operator never holds. */
export function conditionHolds(
  operator: string,
  policyValues: readonly string[],
  requestValues: readonly string[] | undefined,
): boolean {
  let name = operator.toLowerCase();
  let qualifier: "any" | "all" | undefined;
  if (name.startsWith("foranyvalue:")) {
    qualifier = "any";
    name = name.slice("foranyvalue:".length);
  } else if (name.startsWith("forallvalues:")) {
    qualifier = "all";
    name = name.slice("forallvalues:".length);
  }
  const ifExists = name.endsWith("ifexists");
  if (ifExists) name = name.slice(0, -"ifexists".length);

  if (name === "null") {
    // Null: "true" wants the key absent, "false" wants it present.
    const present = requestValues !== undefined && requestValues.length > 0;
    return policyValues.some((value) => value.toLowerCase() === (present ? "false" : "true"));
  }
  const comparator = COMPARATORS[name];
  if (!comparator) return false;

  const missing = requestValues === undefined || requestValues.length === 0;
  if (missing) {
    if (ifExists) return true;
    if (qualifier === "all") return true;
    if (qualifier === "any") return false;
    return comparator.negated;
  }
  // One request value against the policy's values: positive = matches any, negated = matches none.
  const valueHolds = (requestValue: string): boolean => {
    const matchesAny = policyValues.some((p) => comparator.compare(p, requestValue));
    return comparator.negated ? !matchesAny : matchesAny;
  };
  if (qualifier === "all") return requestValues.every(valueHolds);
  if (qualifier === "any") return requestValues.some(valueHolds);
  // A single-valued operator on a multi-valued key: positive operators need one value to match,
  // negated operators need every value to avoid the policy's values.
  return comparator.negated ? requestValues.every(valueHolds) : requestValues.some(valueHolds);
}

/** Token claims → the condition keys IAM derives from them for a provider at `providerHostPath`. */
export function contextFromClaims(
  providerHostPath: string,
  claims: Readonly<Record<string, unknown>>,
): Record<string, Values> {
  const context: Record<string, Values> = {};
  const put = (key: string, value: unknown) => {
    if (typeof value === "string") context[`${providerHostPath}:${key}`] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      context[`${providerHostPath}:${key}`] = value as string[];
    }
  };
  put("sub", claims.sub);
  // IAM's `aud` key is the token's azp when present, else its aud; `oaud` then holds the aud.
  if (typeof claims.azp === "string") {
    put("aud", claims.azp);
    put("oaud", claims.aud);
  } else {
    put("aud", claims.aud);
  }
  put("amr", claims.amr);
  return context;
}

/** `https://oidc.vercel.com/acme/` → `oidc.vercel.com/acme`: IAM's name for a provider URL. */
export function issuerHostPath(issuer: string): string {
  return issuer.replace(/^https:\/\//i, "").replace(/\/+$/, "");
}

/** The ARN an IAM OIDC provider for `issuer` has in `account`. */
export function oidcProviderArn(issuer: string, account: string, partition = "aws"): string {
  return `arn:${partition}:iam::${account}:oidc-provider/${issuerHostPath(issuer)}`;
}

/** A permission statement: a trust statement's fields plus Resource / NotResource. */
export type PermissionStatement = PolicyStatement & { Resource?: Values; NotResource?: Values };

export interface PermissionRequest {
  /** `dynamodb:GetItem`. */
  readonly action: string;
  /** The ARN acted on. */
  readonly resource: string;
  /** Condition keys → request values (names case-insensitive). */
  readonly context?: Readonly<Record<string, Values>>;
}

export interface PermissionDecision {
  readonly allowed: boolean;
  /** Why, in the words AWS's AccessDenied messages use. */
  readonly reason: string;
}

const statementsIn = (document: PolicyDocument): readonly PermissionStatement[] =>
  (Array.isArray(document.Statement)
    ? document.Statement
    : [document.Statement]) as readonly PermissionStatement[];

function permissionStatementMatches(
  statement: PermissionStatement,
  request: PermissionRequest,
  context: ReadonlyMap<string, readonly string[]>,
): boolean {
  const actionOk =
    statement.Action !== undefined
      ? actionMatches(statement.Action, request.action)
      : statement.NotAction !== undefined && !actionMatches(statement.NotAction, request.action);
  const resourceIn = (values: Values) =>
    asList(values).some((pattern) => wildcardMatches(pattern, request.resource));
  const resourceOk =
    statement.Resource !== undefined
      ? resourceIn(statement.Resource)
      : statement.NotResource !== undefined && !resourceIn(statement.NotResource);
  return (
    actionOk &&
    resourceOk &&
    Object.entries(statement.Condition ?? {}).every(
      ([operator, block]) =>
        // A Deny whose condition this evaluator cannot read is taken to apply (fail closed); an
        // Allow's never holds.
        (statement.Effect === "Deny" && !conditionOperatorKnown(operator)) ||
        Object.entries(block).every(([key, values]) =>
          conditionHolds(operator, [values].flat().map(String), context.get(key.toLowerCase())),
        ),
    )
  );
}

/**
 * Whether a role's identity policies — within its permissions boundary, when it has one — allow
 * `request`: an explicit Deny in either wins; otherwise the identity policies must allow it and so
 * must the boundary. The identity-based part of AWS's evaluation only: no resource policies, SCPs
 * or session policies (Keyless's roles have none), no policy variables.
 */
export function evaluatePermission(
  identity: readonly PolicyDocument[],
  request: PermissionRequest,
  boundary?: readonly PolicyDocument[],
): PermissionDecision {
  const context = new Map(
    Object.entries(request.context ?? {}).map(([key, value]) => [key.toLowerCase(), asList(value)]),
  );
  const matching = (documents: readonly PolicyDocument[], effect: "Allow" | "Deny") =>
    documents.some((document) =>
      statementsIn(document).some(
        (statement) =>
          statement.Effect === effect && permissionStatementMatches(statement, request, context),
      ),
    );
  if (matching(identity, "Deny")) {
    return { allowed: false, reason: "with an explicit deny in an identity-based policy" };
  }
  if (boundary && matching(boundary, "Deny")) {
    return { allowed: false, reason: "with an explicit deny in a permissions boundary" };
  }
  if (!matching(identity, "Allow")) {
    return {
      allowed: false,
      reason: `because no identity-based policy allows the ${request.action} action`,
    };
  }
  if (boundary && !matching(boundary, "Allow")) {
    return {
      allowed: false,
      reason: `because no permissions boundary allows the ${request.action} action`,
    };
  }
  return { allowed: true, reason: "allowed by an identity-based policy" };
}
