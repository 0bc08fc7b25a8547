// trust:check for the app's own resources (app-resources.ts): from the synthesized template, who
// may do what with each environment's resource — each Vercel role within the app boundary, and the
// GitHub deploy role within the deploy boundary — decided by the permission evaluator. moto cannot
// show it (it checks DynamoDB calls against "*" only), so this is the offline proof that preview
// is refused production's resource and that a deploy run may deploy them.

import {
  type AppResourceMetadata,
  appResourceMetadataOf,
  appResourceService,
  formatAppResourceArn,
} from "../app-resource-naming";
import { GITHUB_DEPLOY_ROLE_LOGICAL_ID, vercelRoleLogicalId } from "../github-naming";
import type { CfnTemplate } from "../synth";
import type { VercelEnvironment } from "../vercel-naming";
import { formatTable } from "./check";
import { evaluatePermission, type PolicyDocument } from "./evaluate";

/** What the rows need of each declaration: its actions and what a deploy run calls. */
export interface DeclaredAccess {
  readonly id: string;
  readonly actions: readonly string[];
  readonly deployActions: readonly string[];
}

export interface AppResourceRow {
  /** "preview role" or "GitHub deploy role". */
  readonly who: string;
  /** NotesTableProduction. */
  readonly resource: string;
  readonly actions: readonly string[];
  readonly expected: "allowed" | "denied";
  /** Actions decided against the expectation (empty when the row is as configured). */
  readonly contrary: readonly string[];
  readonly reason: string;
  readonly ok: boolean;
}

interface Place {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
}

type TemplateResource = CfnTemplate["Resources"][string] & { Metadata?: Record<string, unknown> };

/** The name CloudFormation would give a resource: `<stack>-<logical id>-<random>`. */
const generatedName = (place: Place, logicalId: string) =>
  `${place.stackName}-${logicalId}-1A2B3C4D5E6F`;

/** Intrinsics the stack's policies use, resolved for one sample account and region. */
function resolver(template: CfnTemplate, place: Place) {
  const pseudo: Record<string, string> = {
    "AWS::Partition": place.partition,
    "AWS::AccountId": place.account,
    "AWS::Region": place.region,
    "AWS::URLSuffix": "amazonaws.com",
  };
  const arnOf = (logicalId: string): string => {
    const resource = template.Resources[logicalId] as TemplateResource | undefined;
    const metadata = resource && appResourceMetadataOf(resource);
    if (metadata) {
      return formatAppResourceArn(metadata.arnFormat, place, generatedName(place, logicalId));
    }
    if (resource?.Type === "AWS::S3::Bucket") {
      return `arn:${place.partition}:s3:::${generatedName(place, logicalId).toLowerCase()}`;
    }
    return `arn:${place.partition}:unknown:::${logicalId}`;
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    const [key, argument] = entries[0] ?? [];
    if (entries.length === 1 && key === "Ref" && typeof argument === "string") {
      return pseudo[argument] ?? arnOf(argument);
    }
    if (entries.length === 1 && key === "Fn::GetAtt" && Array.isArray(argument)) {
      return arnOf(String(argument[0]));
    }
    if (entries.length === 1 && key === "Fn::Join" && Array.isArray(argument)) {
      const [separator, parts] = argument as [string, unknown[]];
      return (resolve(parts) as unknown[]).map(String).join(separator);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

/**
 * Every identity policy the template gives a role — AWS::IAM::Policy resources naming it (alone or
 * with others), its inline `Policies`, the template's managed policies in its `ManagedPolicyArns`
 * — and its boundary, resolved.
 */
function policiesOf(template: CfnTemplate, roleId: string, resolve: (v: unknown) => unknown) {
  const role = template.Resources[roleId];
  const refersToRole = (roles: unknown) =>
    Array.isArray(roles) && roles.some((r) => (r as { Ref?: string })?.Ref === roleId);
  const managed = ((role?.Properties?.ManagedPolicyArns as { Ref?: string }[] | undefined) ?? [])
    .map((arn) => (arn?.Ref ? template.Resources[arn.Ref] : undefined))
    .filter((policy) => policy?.Type === "AWS::IAM::ManagedPolicy");
  const documents = [
    ...Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && refersToRole(r.Properties?.Roles))
      .map((r) => r.Properties?.PolicyDocument),
    ...((role?.Properties?.Policies as { PolicyDocument?: unknown }[] | undefined) ?? []).map(
      (policy) => policy.PolicyDocument,
    ),
    ...managed.map((policy) => policy?.Properties?.PolicyDocument),
  ];
  const boundaryRef = role?.Properties?.PermissionsBoundary as { Ref?: string } | undefined;
  const boundary = boundaryRef?.Ref ? template.Resources[boundaryRef.Ref] : undefined;
  return {
    identity: documents.map((document) => resolve(document) as PolicyDocument),
    boundary: boundary
      ? [resolve(boundary.Properties?.PolicyDocument) as PolicyDocument]
      : undefined,
  };
}

/** Every action a role's policies allow in `service` (or in every service): what a denied row tries. */
function allowedActionsIn(documents: readonly PolicyDocument[], service: string): string[] {
  return documents.flatMap((document) =>
    [document.Statement]
      .flat()
      .filter((statement) => statement.Effect === "Allow")
      .flatMap((statement) => [statement.Action ?? []].flat())
      .filter((action) => action === "*" || action.toLowerCase().startsWith(`${service}:`)),
  );
}

/**
 * One row per (role, app resource): each environment's role may take its declaration's actions on
 * its own resource only; the deploy role (when the stack has it) may take the deploy actions on
 * every one. Roles carry the boundary the template gives them.
 */
export function appResourceRows(
  template: CfnTemplate,
  declared: readonly DeclaredAccess[],
  place: Place,
  environments: readonly VercelEnvironment[],
): AppResourceRow[] {
  const resolve = resolver(template, place);
  const resources = Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    const metadata = appResourceMetadataOf(resource as TemplateResource);
    const declaration = metadata && declared.find((d) => d.id === metadata.id);
    return metadata && declaration ? [{ logicalId, metadata, declaration }] : [];
  });
  const rows: AppResourceRow[] = [];
  const decide = (
    who: string,
    roleId: string,
    target: { logicalId: string; metadata: AppResourceMetadata },
    actions: readonly string[],
    expected: "allowed" | "denied",
  ) => {
    const { identity, boundary } = policiesOf(template, roleId, resolve);
    // A role that must be denied is tried with everything its policies allow in that service,
    // not only the declared actions: a widened grant shows whatever it adds.
    const tried =
      expected === "denied"
        ? [
            ...new Set([
              ...actions,
              ...allowedActionsIn(identity, appResourceService(target.metadata.arnFormat)),
            ]),
          ]
        : actions;
    const resource = formatAppResourceArn(
      target.metadata.arnFormat,
      place,
      generatedName(place, target.logicalId),
    );
    const decisions = tried.map((action) => ({
      action,
      decision: evaluatePermission(identity, { action, resource }, boundary),
    }));
    const contrary = decisions.filter(
      ({ decision }) => decision.allowed !== (expected === "allowed"),
    );
    rows.push({
      who,
      resource: target.logicalId,
      actions: tried,
      expected,
      contrary: contrary.map(({ action }) => action),
      reason: contrary[0]?.decision.reason ?? decisions[0]?.decision.reason ?? "no action declared",
      ok: contrary.length === 0,
    });
  };
  for (const target of resources) {
    for (const environment of environments) {
      const roleId = vercelRoleLogicalId(environment);
      if (!template.Resources[roleId]) continue;
      decide(
        `${environment} role`,
        roleId,
        target,
        target.declaration.actions,
        environment === target.metadata.environment ? "allowed" : "denied",
      );
    }
    if (template.Resources[GITHUB_DEPLOY_ROLE_LOGICAL_ID]) {
      decide(
        "GitHub deploy role",
        GITHUB_DEPLOY_ROLE_LOGICAL_ID,
        target,
        target.declaration.deployActions,
        "allowed",
      );
    }
  }
  return rows;
}

/** The rows as a plain-text table, like the trust matrix. */
export function formatAppResourceRows(rows: readonly AppResourceRow[]): string {
  return formatTable(
    ["", "who", "resource", "decision", "actions"],
    rows.map((row) => [
      row.ok ? "ok" : "WRONG",
      row.who,
      row.resource,
      row.ok
        ? row.expected
        : `expected ${row.expected}; ${row.contrary.join(", ")} ${row.expected === "allowed" ? "denied" : "allowed"}: ${row.reason}`,
      row.actions.join(", "),
    ]),
  );
}
