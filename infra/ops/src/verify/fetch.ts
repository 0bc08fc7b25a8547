// The thin AWS-fetching layer: every call verify makes, turned into the plain facts the checks
// take. The operator's own credentials (profile or the SDK's default chain — this runs on a
// laptop or in CI, never on Vercel); AWS_ENDPOINT_URL points the same calls at the sandbox.

import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { explainAwsError, redact } from "@repo/aws-auth/explain";
import type { InfraEnv } from "@repo/infra/config";
import { readStackResources } from "../stack-resources";
import type {
  HealthFacts,
  IdentityFacts,
  ProvidersFacts,
  RolePermissionFacts,
  StackFacts,
} from "./checks";
import { ASSUME_EVENT_NAME, type LookupPageFn } from "./cloudtrail";
import type { RoleTrustFacts } from "./trust";
import type { StackRole } from "./types";

export interface ClientSettings {
  region: string;
  profile?: string;
  /** AWS_ENDPOINT_URL (the sandbox); service-specific AWS_ENDPOINT_URL_<SERVICE> the SDK reads itself. */
  endpoint?: string;
  /** Fixed credentials (the sandbox's placeholders); unset = the profile or the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface VerifyClients {
  sts: STSClient;
  cloudFormation: CloudFormationClient;
  iam: IAMClient;
  /** CloudTrail in the STS region: the SDK's own retries are off, the poller handles throttling. */
  cloudTrail(region: string): CloudTrailClient;
  destroy(): void;
}

export function createVerifyClients(settings: ClientSettings): VerifyClients {
  const base = {
    region: settings.region,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // A wrong endpoint should fail in seconds, not hang.
    requestHandler: { requestTimeout: 15_000, connectionTimeout: 5_000 },
  };
  const trails = new Map<string, CloudTrailClient>();
  const clients: VerifyClients = {
    sts: new STSClient(base),
    cloudFormation: new CloudFormationClient(base),
    iam: new IAMClient(base),
    cloudTrail(region) {
      let client = trails.get(region);
      if (!client) {
        // The SDK's standard retries (3 attempts, backoff on throttling and 5xx) under the 2/s pacing.
        client = new CloudTrailClient({ ...base, region, retryMode: "standard", maxAttempts: 3 });
        trails.set(region, client);
      }
      return client;
    },
    destroy() {
      for (const client of [clients.sts, clients.cloudFormation, clients.iam, ...trails.values()]) {
        client.destroy();
      }
    },
  };
  return clients;
}

/** Which credentials verify runs with, in words (never their values). */
export function credentialSource(env: InfraEnv, profile: string | undefined): string {
  if (profile) return `profile ${profile}`;
  if (env.AWS_ACCESS_KEY_ID) return "AWS_ACCESS_KEY_ID in the environment";
  return "the AWS SDK's default credential chain";
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A failed call, in words that say what to do; `action` is the IAM action, e.g. iam:GetRole. */
export function describeAwsFailure(error: unknown, action: string, endpoint?: string): string {
  const shape = (typeof error === "object" && error !== null ? error : {}) as AwsErrorShape;
  const code = shape.name && shape.name !== "Error" ? shape.name : (shape.code ?? "Error");
  const message = redact(shape.message ?? String(error));
  if (
    /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnauthorizedAccess)$/.test(code) ||
    shape.$metadata?.httpStatusCode === 403
  ) {
    return `${action} was refused (${code}): these credentials may not call it. Use credentials that may read IAM, CloudFormation and CloudTrail — the AWS managed policy ReadOnlyAccess covers every call verify makes.`;
  }
  if (
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|socket hang up|TimeoutError/i.test(
      `${code} ${message}`,
    )
  ) {
    return `${action} could not reach ${endpoint ? `AWS_ENDPOINT_URL ${endpoint}` : "AWS"} (${message}).${endpoint ? " Is the sandbox running (`pnpm sandbox`)?" : " Check the network and AWS_REGION."}`;
  }
  const explained = explainAwsError(error);
  if (
    explained.code === "no-credentials" ||
    explained.code === "profile-missing" ||
    explained.code === "sso-expired"
  ) {
    return `${explained.title}: ${explained.cause} ${explained.fixes[0] ?? ""}`.trim();
  }
  return `${action} failed: ${code}: ${message}`;
}

export async function fetchIdentity(
  clients: VerifyClients,
  source: string,
  endpoint?: string,
): Promise<IdentityFacts> {
  try {
    const answer = await clients.sts.send(new GetCallerIdentityCommand({}));
    return { ok: true, arn: answer.Arn ?? "?", account: answer.Account ?? "?", source };
  } catch (error) {
    return {
      ok: false,
      source,
      error: describeAwsFailure(error, "sts:GetCallerIdentity", endpoint),
    };
  }
}

export async function fetchStack(
  clients: VerifyClients,
  stackName: string,
  endpoint?: string,
): Promise<StackFacts> {
  let action = "cloudformation:DescribeStacks";
  try {
    const { Stacks = [] } = await clients.cloudFormation.send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    const stack = Stacks[0];
    if (!stack) return { found: false, name: stackName };
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
    }
    action = "cloudformation:DescribeStackResources and cloudformation:GetTemplate";
    const resources = await readStackResources(clients.cloudFormation, stackName);
    return {
      found: true,
      name: stack.StackName ?? stackName,
      status: stack.StackStatus ?? "UNKNOWN",
      statusReason: stack.StackStatusReason,
      ...(stack.RoleARN ? { serviceRole: stack.RoleARN } : {}),
      stackId: stack.StackId ?? "",
      outputs,
      resources,
    };
  } catch (error) {
    if (/does not exist/i.test((error as Error).message ?? ""))
      return { found: false, name: stackName };
    return {
      found: false,
      name: stackName,
      error: describeAwsFailure(error, action, endpoint),
    };
  }
}

/**
 * The account's OIDC providers, each with its URL (from its ARN, which ends in the host path) and
 * the client ids of the one for `issuerHostPath` only: a caller may read just that provider (the
 * GitHub deploy role can), and the account may hold others (EKS, another team) it may not read.
 */
export async function fetchProviders(
  clients: VerifyClients,
  issuerHostPath: string,
  endpoint?: string,
): Promise<ProvidersFacts> {
  let action = "iam:ListOpenIDConnectProviders";
  try {
    const { OpenIDConnectProviderList = [] } = await clients.iam.send(
      new ListOpenIDConnectProvidersCommand({}),
    );
    action = "iam:GetOpenIDConnectProvider";
    const providers = await Promise.all(
      OpenIDConnectProviderList.flatMap(({ Arn }) => (Arn ? [Arn] : [])).map(async (arn) => {
        const hostPath = arn.slice(arn.indexOf(":oidc-provider/") + ":oidc-provider/".length);
        if (hostPath !== issuerHostPath) return { arn, url: hostPath, clientIds: [] };
        const provider = await clients.iam.send(
          new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }),
        );
        return { arn, url: provider.Url ?? hostPath, clientIds: provider.ClientIDList ?? [] };
      }),
    );
    return { ok: true, providers };
  } catch (error) {
    return { ok: false, error: describeAwsFailure(error, action, endpoint) };
  }
}

const missingRole = (role: StackRole, error: unknown) =>
  (error as AwsErrorShape).name === "NoSuchEntity" ||
  (error as AwsErrorShape).name === "NoSuchEntityException"
    ? `the role ${role.name} in the stack's outputs does not exist (deleted outside CloudFormation?); redeploy with \`pnpm infra:deploy\``
    : undefined;

export async function fetchTrust(
  clients: VerifyClients,
  roles: readonly StackRole[],
  endpoint?: string,
): Promise<RoleTrustFacts[]> {
  return Promise.all(
    roles.map(async (role): Promise<RoleTrustFacts> => {
      try {
        const { Role } = await clients.iam.send(new GetRoleCommand({ RoleName: role.name }));
        return { role, trustPolicy: Role?.AssumeRolePolicyDocument };
      } catch (error) {
        return {
          role,
          error: missingRole(role, error) ?? describeAwsFailure(error, "iam:GetRole", endpoint),
        };
      }
    }),
  );
}

export async function fetchPermissions(
  clients: VerifyClients,
  roles: readonly StackRole[],
  endpoint?: string,
): Promise<RolePermissionFacts[]> {
  return Promise.all(
    roles.map(async (role): Promise<RolePermissionFacts> => {
      const policies: RolePermissionFacts["policies"] = [];
      let action = "iam:GetRole";
      try {
        const { Role } = await clients.iam.send(new GetRoleCommand({ RoleName: role.name }));
        const boundaryArn = Role?.PermissionsBoundary?.PermissionsBoundaryArn;
        action = "iam:ListRolePolicies";
        for await (const page of paginateListRolePolicies(
          { client: clients.iam },
          { RoleName: role.name },
        )) {
          for (const name of page.PolicyNames ?? []) {
            action = "iam:GetRolePolicy";
            const { PolicyDocument = "" } = await clients.iam.send(
              new GetRolePolicyCommand({ RoleName: role.name, PolicyName: name }),
            );
            policies.push({ name, kind: "inline", document: PolicyDocument });
          }
        }
        action = "iam:ListAttachedRolePolicies";
        for await (const page of paginateListAttachedRolePolicies(
          { client: clients.iam },
          { RoleName: role.name },
        )) {
          for (const attached of page.AttachedPolicies ?? []) {
            if (!attached.PolicyArn) continue;
            action = "iam:GetPolicy";
            const { Policy } = await clients.iam.send(
              new GetPolicyCommand({ PolicyArn: attached.PolicyArn }),
            );
            action = "iam:GetPolicyVersion";
            const { PolicyVersion } = await clients.iam.send(
              new GetPolicyVersionCommand({
                PolicyArn: attached.PolicyArn,
                VersionId: Policy?.DefaultVersionId ?? "v1",
              }),
            );
            policies.push({
              name: attached.PolicyName ?? attached.PolicyArn,
              kind: "managed",
              document: PolicyVersion?.Document ?? "",
            });
          }
        }
        return { role, policies, ...(boundaryArn ? { boundaryArn } : {}) };
      } catch (error) {
        return {
          role,
          policies,
          error: missingRole(role, error) ?? describeAwsFailure(error, action, endpoint),
        };
      }
    }),
  );
}

/** GET <url>/api/health (or the URL as given when it already ends in /api/health). */
export async function fetchHealth(
  url: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 20_000,
): Promise<HealthFacts> {
  const target = healthUrl(url);
  try {
    const response = await fetchImpl(target, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "follow",
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: checkHealth says so.
    }
    return { url: target, status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000}s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    return { url: target, error: reason };
  }
}

export function healthUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return trimmed.endsWith("/api/health") ? trimmed : `${trimmed}/api/health`;
}

/** LookupEvents for AssumeRoleWithWebIdentity, one page per call. */
export function cloudTrailLookup(clients: VerifyClients, region: string): LookupPageFn {
  const client = clients.cloudTrail(region);
  return async (startTime, nextToken) => {
    const answer = await client.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: ASSUME_EVENT_NAME }],
        StartTime: startTime,
        MaxResults: 50,
        NextToken: nextToken,
      }),
    );
    return {
      items: answer.Events ?? [],
      nextToken: answer.NextToken,
      attempts: answer.$metadata.attempts,
    };
  };
}
