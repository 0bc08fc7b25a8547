// Reading IAM policy documents the way IAM returns them, and spotting grants that are not scoped.

import type { PolicyDocument, PolicyStatement, Values } from "@repo/infra/trust/evaluate";

export type { PolicyDocument, PolicyStatement } from "@repo/infra/trust/evaluate";

/** IAM's GetRole / GetRolePolicy / GetPolicyVersion return documents URL-encoded. */
export function parsePolicyDocument(text: string): PolicyDocument {
  const json = text.trimStart().startsWith("%") ? decodeURIComponent(text) : text;
  return JSON.parse(json) as PolicyDocument;
}

export function statementsOf(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement)
    ? [...(document.Statement as PolicyStatement[])]
    : [document.Statement as PolicyStatement];
}

export const listOf = (values: Values | undefined): string[] =>
  values === undefined ? [] : typeof values === "string" ? [values] : [...values];

/** Permission statements carry Resource / NotResource, which trust statements do not. */
export type PermissionStatement = PolicyStatement & { Resource?: Values; NotResource?: Values };

const hasWildcard = (text: string) => /[*?]/.test(text);

/**
 * Why `resource` is not scoped to named resources, or undefined when it is. A wildcard after the
 * first `/` of the resource part stays inside a named resource (`arn:aws:s3:::my-bucket/*` = the
 * objects of one bucket); anywhere else it spans resources nobody named.
 */
export function resourceWildcardProblem(resource: string): string | undefined {
  if (resource === "*") return `Resource "*" (every resource)`;
  const parts = resource.split(":");
  if (parts.length < 6 || parts[0] !== "arn") {
    return hasWildcard(resource) ? `Resource "${resource}" has a wildcard` : undefined;
  }
  const head = parts.slice(0, 5);
  const resourcePart = parts.slice(5).join(":");
  const named = resourcePart.split("/")[0] ?? "";
  if (head.some(hasWildcard) || hasWildcard(named)) {
    return `Resource "${resource}" has a wildcard outside one named resource`;
  }
  return undefined;
}

/** Grants in one permissions policy that are not scoped: wildcard actions or resources, Not*. */
export function permissionProblems(document: PolicyDocument): string[] {
  const problems: string[] = [];
  for (const statement of statementsOf(document) as PermissionStatement[]) {
    if (statement.Effect !== "Allow") continue;
    if (statement.NotAction !== undefined) {
      problems.push(
        `NotAction allows every action except ${listOf(statement.NotAction).join(", ")}`,
      );
    }
    if (statement.NotResource !== undefined) {
      problems.push(
        `NotResource allows every resource except ${listOf(statement.NotResource).join(", ")}`,
      );
    }
    for (const action of listOf(statement.Action)) {
      if (hasWildcard(action)) problems.push(`Action "${action}" is a wildcard`);
    }
    for (const resource of listOf(statement.Resource)) {
      const problem = resourceWildcardProblem(resource);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** The allowed actions of a policy, for the detail of a passing check. */
export function allowedActions(document: PolicyDocument): string[] {
  return statementsOf(document)
    .filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) => listOf(statement.Action));
}

/**
 * Grants in one permissions policy of `environment`'s role that reach past that environment's
 * part of the stack's bucket and its own app resources: an object resource other than
 * `<bucket>/<environment>/*`, the bucket itself without an `s3:prefix` condition inside
 * `<environment>/`, or any resource but the environment's app resources (their ARN, or a part of
 * one: `<table ARN>/index/*`). Each problem quotes the statement, so the widening is named, not
 * only its actions.
 */
export function scopeProblems(
  document: PolicyDocument,
  environment: string,
  bucket: string,
  /** The ARNs of `environment`'s own app resources. */
  ownResources: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const own = `${environment}/`;
  for (const statement of statementsOf(document) as PermissionStatement[]) {
    if (statement.Effect !== "Allow") continue;
    const quoted = JSON.stringify(statement);
    for (const resource of listOf(statement.Resource)) {
      if (ownResources.some((arn) => resource === arn || resource.startsWith(`${arn}/`))) {
        continue;
      }
      const [, , service, , , rest = ""] = resource.split(":");
      if (service !== "s3" || (rest !== bucket && !rest.startsWith(`${bucket}/`))) {
        const own = ownResources.length > 0 ? ` and ${environment}'s own app resources` : "";
        problems.push(`${quoted} reaches ${resource}, outside the stack's bucket ${bucket}${own}`);
        continue;
      }
      if (rest === bucket) {
        const prefixes = Object.values(statement.Condition ?? {}).flatMap((byKey) =>
          listOf((byKey as Record<string, Values>)["s3:prefix"]),
        );
        if (prefixes.length === 0 || prefixes.some((prefix) => !prefix.startsWith(own))) {
          problems.push(
            `${quoted} lists ${bucket} beyond ${own} (its s3:prefix condition must keep to ${own}*)`,
          );
        }
        continue;
      }
      if (!rest.startsWith(`${bucket}/${own}`)) {
        problems.push(`${quoted} reaches ${rest}, outside ${bucket}/${own}`);
      }
    }
  }
  return problems;
}
