// DynamoDB decided per table. moto 5.2.1 authorizes every DynamoDB call by its action against
// resource "*" (it has no resource rule for DynamoDB): a role granted one table's ARN is refused
// even that table, and one granted "*" may use every table, so moto's answer proves nothing about
// isolation. For a key the gateway issued (a role's session) it checks the signature and expiry,
// then decides each call as IAM does — the role's own policies within its permissions boundary
// (@repo/infra's evaluatePermission) — for the action IAM checks on every table (and index) the
// call names: transactions per item (PutItem, GetItem, …), PartiQL by its statement
// (PartiQLSelect …). A refusal has DynamoDB's own shape; an allowed call goes to moto signed with
// the sandbox's admin key (moto only stores and serves). Calls that name no table the gateway
// reads (ListTables, TagResource) are decided against "*", so a grant on named tables never
// covers them; the sandbox's own calls go to moto as they are. Not modelled: resource policies,
// request condition keys (dynamodb:LeadingKeys, aws:SourceIp: a condition on one never holds),
// roles of another account (refused).

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { evaluatePermission, type PolicyDocument } from "@repo/infra/trust/evaluate";
import { readBody } from "../http";
import { checkHeaderSignature, signForUpstream } from "../sigv4";
import { newRequestId, roleAccount } from "../sts";
import type { CredentialScope, GatewayContext } from "./context";
import { proxyAs } from "./pass-through";
import { proxy } from "./upstream";

/** `DynamoDB_20120810.GetItem` → GetItem. */
export const DYNAMODB_TARGET = /^DynamoDB_20120810\.([A-Za-z]+)$/;

/** BatchWriteItem takes up to 16 MB. */
const MAX_DYNAMODB_BODY = 16 * 1024 * 1024;

type Json = Record<string, unknown>;

/** One authorization IAM makes for a call: an action on a table (or index), by name or ARN. */
export interface DynamodbTarget {
  readonly action: string;
  readonly table: string;
  readonly index?: string;
}

/** A transaction's item operations and the action IAM checks for each (no Transact* actions exist). */
const TRANSACT_ACTIONS: Record<string, string> = {
  Get: "dynamodb:GetItem",
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  ConditionCheck: "dynamodb:ConditionCheckItem",
};

/** A PartiQL statement's action and table: `SELECT … FROM "t"` → PartiQLSelect on t. */
function partiqlTarget(statement: unknown): DynamodbTarget | undefined {
  if (typeof statement !== "string") return undefined;
  const verb = /^\s*(select|insert|update|delete)\b/i.exec(statement)?.[1]?.toLowerCase();
  const table = /\b(?:from|into|update)\s+"?([A-Za-z0-9_.-]+)"?/i.exec(statement)?.[1];
  if (!verb || !table) return undefined;
  const action = `dynamodb:PartiQL${verb.charAt(0).toUpperCase()}${verb.slice(1)}`;
  return { action, table };
}

/**
 * What IAM authorizes for a call: its action on each table and index it names (item calls,
 * batches, transactions per item, PartiQL statements). Empty when it names no table the gateway
 * can read: the call is then decided against `*`, so a grant on named tables does not cover it.
 */
export function dynamodbTargets(operation: string, body: Json): DynamodbTarget[] {
  const action = `dynamodb:${operation}`;
  const targets: DynamodbTarget[] = [];
  if (typeof body.TableName === "string") {
    targets.push({
      action,
      table: body.TableName,
      ...(typeof body.IndexName === "string" ? { index: body.IndexName } : {}),
    });
  }
  if (typeof body.RequestItems === "object" && body.RequestItems !== null) {
    for (const table of Object.keys(body.RequestItems)) targets.push({ action, table });
  }
  if (Array.isArray(body.TransactItems)) {
    for (const item of body.TransactItems as Json[]) {
      for (const [kind, part] of Object.entries(item ?? {})) {
        const table = (part as Json | null)?.TableName;
        const itemAction = TRANSACT_ACTIONS[kind];
        if (typeof table === "string" && itemAction) targets.push({ action: itemAction, table });
      }
    }
  }
  const statements = [
    body.Statement,
    ...(Array.isArray(body.Statements) ? (body.Statements as Json[]).map((s) => s?.Statement) : []),
    ...(Array.isArray(body.TransactStatements)
      ? (body.TransactStatements as Json[]).map((s) => s?.Statement)
      : []),
  ];
  for (const statement of statements) {
    const target = partiqlTarget(statement);
    if (target) targets.push(target);
  }
  return targets;
}

const decodeDocument = (text: string): PolicyDocument =>
  JSON.parse(text.trimStart().startsWith("%") ? decodeURIComponent(text) : text) as PolicyDocument;

async function managedPolicy(iam: IAMClient, arn: string): Promise<PolicyDocument> {
  const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const { PolicyVersion } = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: Policy?.DefaultVersionId }),
  );
  return decodeDocument(PolicyVersion?.Document ?? '{"Statement":[]}');
}

/** A role's identity policies (inline and attached) and its boundary, as IAM holds them now. */
async function rolePolicies(
  iam: IAMClient,
  roleName: string,
): Promise<{ identity: PolicyDocument[]; boundary?: PolicyDocument[] }> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const { AttachedPolicies = [] } = await iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  const identity = await Promise.all([
    ...PolicyNames.map(async (name) => {
      const { PolicyDocument } = await iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
      );
      return decodeDocument(PolicyDocument ?? '{"Statement":[]}');
    }),
    ...AttachedPolicies.flatMap((policy) =>
      policy.PolicyArn ? [managedPolicy(iam, policy.PolicyArn)] : [],
    ),
  ]);
  const boundaryArn = Role?.PermissionsBoundary?.PermissionsBoundaryArn;
  return boundaryArn
    ? { identity, boundary: [await managedPolicy(iam, boundaryArn)] }
    : { identity };
}

/** A refusal as DynamoDB answers it (JSON 1.0, the error's type and message). */
function sendDynamodbError(response: ServerResponse, type: string, message: string): void {
  const payload = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, Message: message });
  response.writeHead(400, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(payload),
    "x-amzn-requestid": newRequestId(),
  });
  response.end(payload);
}

export async function dynamodbCall(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  scope: CredentialScope,
  operation: string,
): Promise<void> {
  const body = await readBody(request, MAX_DYNAMODB_BODY);
  const identity = context.issuedKeys.identityOf(scope.accessKeyId);
  const { admin } = context;
  if (!identity || !admin) {
    await proxyAs(context, request, response, scope, body);
    return;
  }
  // Re-signed below as the admin: the client's own signature and expiry are checked here first.
  const checked = await checkHeaderSignature(request, context.issuedKeys, body);
  if (!checked) {
    sendDynamodbError(
      response,
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
    return;
  }
  const expiration = checked.credentials.expiration;
  if (expiration && expiration.getTime() <= Date.now()) {
    sendDynamodbError(
      response,
      "ExpiredTokenException",
      "The security token included in the request is expired",
    );
    return;
  }
  const account = roleAccount(identity.roleArn) ?? context.options.accountId;
  if (account !== context.options.accountId) {
    // The gateway would decide against that account's policies but run the call on the
    // sandbox account's tables: refused rather than answered wrongly.
    sendDynamodbError(
      response,
      "AccessDeniedException",
      `The sandbox serves DynamoDB in account ${context.options.accountId} only; ${identity.roleArn} is a role of account ${account}.`,
    );
    return;
  }
  let parsed: Json = {};
  try {
    parsed = JSON.parse(body.toString("utf8") || "{}") as Json;
  } catch {
    // Not JSON: moto answers it with DynamoDB's own SerializationException.
  }
  const { backend, region } = context.options;
  const policies = await rolePolicies(backend.iam, identity.roleArn.split("/").pop() ?? "");
  const targets = dynamodbTargets(operation, parsed);
  const requests = targets.map(({ action, table, index }) => {
    const tableArn = table.startsWith("arn:")
      ? table
      : `arn:aws:dynamodb:${scope.region || region}:${account}:table/${table}`;
    return { action, resource: index ? `${tableArn}/index/${index}` : tableArn };
  });
  for (const permission of requests.length > 0
    ? requests
    : [{ action: `dynamodb:${operation}`, resource: "*" }]) {
    const decision = evaluatePermission(policies.identity, permission, policies.boundary);
    if (!decision.allowed) {
      context.log(
        `dynamodb ${operation}: ${permission.action} on ${permission.resource} refused for ${identity.roleArn}`,
      );
      sendDynamodbError(
        response,
        "AccessDeniedException",
        `User: ${identity.assumedRoleArn} is not authorized to perform: ${permission.action} on resource: ${permission.resource} ${decision.reason}`,
      );
      return;
    }
  }
  proxy(
    context,
    request,
    response,
    body,
    await signForUpstream(request, admin, scope, context.motoHost, body),
  );
}
