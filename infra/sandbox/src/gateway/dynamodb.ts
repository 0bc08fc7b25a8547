// DynamoDB decided per table. moto 5.2.1 authorizes every DynamoDB call by its action against
// resource "*" (it has no resource rule for DynamoDB): a role granted one table's ARN is refused
// even that table, and one granted "*" may use every table, so moto's answer proves nothing about
// isolation. For a key the gateway issued (a role's session) it decides each call as IAM does —
// the role's own policies within its permissions boundary (@repo/infra's evaluatePermission) —
// against the ARN of every table (and index) the call names; a refusal has DynamoDB's own shape,
// an allowed call goes to moto signed with the sandbox's admin key (moto only stores and serves).
// Calls that name no table (ListTables) are decided against "*", as IAM does for them; the
// sandbox's own calls go to moto as they are.

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
import { signForUpstream } from "../sigv4";
import { newRequestId, roleAccount } from "../sts";
import type { CredentialScope, GatewayContext } from "./context";
import { proxyAs } from "./pass-through";
import { proxy } from "./upstream";

/** `DynamoDB_20120810.GetItem` → GetItem. */
export const DYNAMODB_TARGET = /^DynamoDB_20120810\.([A-Za-z]+)$/;

/** BatchWriteItem takes up to 16 MB. */
const MAX_DYNAMODB_BODY = 16 * 1024 * 1024;

type Json = Record<string, unknown>;

/** The tables (and indexes) a call names: `name` or a table ARN, with its index when it has one. */
export function dynamodbTargets(body: Json): { table: string; index?: string }[] {
  const targets: { table: string; index?: string }[] = [];
  if (typeof body.TableName === "string") {
    targets.push({
      table: body.TableName,
      ...(typeof body.IndexName === "string" ? { index: body.IndexName } : {}),
    });
  }
  if (typeof body.RequestItems === "object" && body.RequestItems !== null) {
    for (const table of Object.keys(body.RequestItems)) targets.push({ table });
  }
  if (Array.isArray(body.TransactItems)) {
    for (const item of body.TransactItems as Json[]) {
      for (const part of Object.values(item ?? {})) {
        const table = (part as Json | null)?.TableName;
        if (typeof table === "string") targets.push({ table });
      }
    }
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

function sendAccessDenied(response: ServerResponse, message: string): void {
  const payload = JSON.stringify({
    __type: "com.amazon.coral.service#AccessDeniedException",
    Message: message,
  });
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
  let parsed: Json = {};
  try {
    parsed = JSON.parse(body.toString("utf8") || "{}") as Json;
  } catch {
    // Not JSON: moto answers it with DynamoDB's own SerializationException.
  }
  const account = roleAccount(identity.roleArn) ?? context.options.accountId;
  const { backend, region } = context.options;
  const iam = backend.iamOf?.(account) ?? backend.iam;
  const policies = await rolePolicies(iam, identity.roleArn.split("/").pop() ?? "");
  const action = `dynamodb:${operation}`;
  const targets = dynamodbTargets(parsed);
  const resources = targets.map(({ table, index }) => {
    const tableArn = table.startsWith("arn:")
      ? table
      : `arn:aws:dynamodb:${scope.region || region}:${account}:table/${table}`;
    return index ? `${tableArn}/index/${index}` : tableArn;
  });
  for (const resource of resources.length > 0 ? resources : ["*"]) {
    const decision = evaluatePermission(policies.identity, { action, resource }, policies.boundary);
    if (!decision.allowed) {
      context.log(`dynamodb ${operation} on ${resource} refused for ${identity.roleArn}`);
      sendAccessDenied(
        response,
        `User: ${identity.assumedRoleArn} is not authorized to perform: ${action} on resource: ${resource} ${decision.reason}`,
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
