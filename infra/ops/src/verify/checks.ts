// Checks 1–3, 5 and 6 as pure functions of what the fetching layer found (fetch.ts): easy to test
// without AWS, and the same code whether the data came from AWS or the sandbox.

import type { InfraConfig } from "@repo/infra/config";
import { environmentSuffix } from "@repo/infra/vercel-naming";
import { type DeployedAppResource, type StackResource, trustedStackValues } from "../stack-values";
import {
  allowedActions,
  type PolicyDocument,
  parsePolicyDocument,
  permissionProblems,
  scopeProblems,
} from "./policy";
import type { CheckResult, StackRole } from "./types";

// --- 1. credentials -----------------------------------------------------------------------------

export type IdentityFacts =
  | { ok: true; arn: string; account: string; source: string }
  | { ok: false; source: string; error: string };

/**
 * `expected`: with KEYLESS_ACCOUNTS, the account this run checks and its environments — the
 * credentials must be that account's, or every other check would look at the wrong stack.
 */
export function checkCredentials(
  facts: IdentityFacts,
  expected?: { account: string; environments: readonly string[] },
): CheckResult {
  const name = "credentials";
  if (!facts.ok) {
    return {
      name,
      ok: false,
      detail: `No working AWS credentials from ${facts.source}: ${facts.error} Fix: sign in with the profile that deployed the stack (\`aws sso login --profile <name>\`) and set AWS_PROFILE in .env or the shell.`,
    };
  }
  if (expected && facts.account !== expected.account) {
    return {
      name,
      ok: false,
      detail: `${facts.arn} from ${facts.source} is in account ${facts.account}, but KEYLESS_ACCOUNTS puts ${expected.environments.join(", ")} in ${expected.account}. Fix: give that entry the profile of account ${expected.account} (environment:account-id:profile).`,
    };
  }
  return {
    name,
    ok: true,
    detail: `${facts.arn} (account ${facts.account}), from ${facts.source}.`,
  };
}

// --- 2. stack -----------------------------------------------------------------------------------

export type StackFacts =
  | {
      found: true;
      name: string;
      status: string;
      statusReason?: string;
      /** A CloudFormation service role the stack deploys with (`cdk deploy --role-arn`). */
      serviceRole?: string;
      /** arn:…:cloudformation:<region>:<account>:stack/<name>/<id> */
      stackId: string;
      outputs: Readonly<Record<string, string>>;
      /** DescribeStackResources: where the roles and the bucket are taken from. */
      resources: readonly StackResource[];
    }
  | { found: false; name: string; error?: string };

export interface StackCheck {
  result: CheckResult;
  /** Every role the stack outputs (RoleArn<Environment>), configured or not. */
  roles: StackRole[];
  bucket?: string;
  /** The app's own resources (app-resources.ts), each environment's. */
  appResources?: DeployedAppResource[];
  region?: string;
}

const COMPLETE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE"]);

/**
 * `production` → `RoleArnProduction`, `qa-eu` → `RoleArnQaEu`: the stack's output names
 * (keyless-stack.ts), from the CDK-free naming rules so verify does not load the stack module.
 */
export const roleOutputKey = (environment: string) => `RoleArn${environmentSuffix(environment)}`;

export function roleFromArn(environment: StackRole["environment"], arn: string): StackRole {
  return { environment, arn, name: arn.split("/").pop() ?? arn };
}

export function checkStack(
  facts: StackFacts,
  config: Pick<InfraConfig, "environments" | "region">,
  account?: string,
): StackCheck {
  const name = "stack";
  if (!facts.found) {
    const where = `region ${config.region}${account ? ` of account ${account}` : ""}`;
    return {
      roles: [],
      result: {
        name,
        ok: false,
        detail:
          facts.error ??
          `Stack ${facts.name} does not exist in ${where}. Fix: deploy it with \`pnpm infra:deploy\`, or set KEYLESS_STACK_NAME / AWS_REGION / AWS_PROFILE to where it was deployed.`,
      },
    };
  }
  // The roles and the bucket from the stack's own resources, never from its outputs alone: a
  // same-named role in another account, or an output a deploy run rewrote, does not pass.
  const trusted = trustedStackValues({
    stackName: facts.name,
    stackId: facts.stackId,
    environments: config.environments,
    resources: facts.resources,
    outputs: facts.outputs,
  });
  const roles = Object.entries(trusted.roleArns).flatMap(([environment, arn]) =>
    arn ? [roleFromArn(environment as StackRole["environment"], arn)] : [],
  );
  const problems: string[] = [];
  if (!COMPLETE.has(facts.status)) {
    const reason = facts.statusReason ? ` (${facts.statusReason})` : "";
    problems.push(
      facts.status.includes("ROLLBACK")
        ? `it is ${facts.status}${reason}: the last deploy failed and was rolled back. Fix: read the failed events (\`aws cloudformation describe-stack-events --stack-name ${facts.name}\`), fix the cause, run \`pnpm infra:deploy\` again`
        : facts.status.endsWith("_IN_PROGRESS")
          ? `it is ${facts.status}: wait for the deploy to finish and run verify again`
          : `it is ${facts.status}${reason}, not CREATE_COMPLETE or UPDATE_COMPLETE. Fix: \`pnpm infra:deploy\``,
    );
  }
  if (facts.serviceRole) {
    // CloudFormation reuses a stack's service role for every later change, whoever starts it: the
    // GitHub deploy role's boundaries no longer decide what a deploy may do.
    problems.push(
      `it deploys with the service role ${facts.serviceRole} (\`cdk deploy --role-arn\`), which every later change set reuses, bypassing the deploy role's boundaries. Fix: deploy once more as an administrator without --role-arn, then delete the service role or strip it of rights`,
    );
  }
  problems.push(...trusted.problems);
  const wanted = [...config.environments.map(roleOutputKey), "BucketName", "Region"];
  const missing = wanted.filter((key) => !facts.outputs[key]);
  if (missing.length > 0) {
    problems.push(
      `outputs missing: ${missing.join(", ")} (the deployed stack is not this configuration's: run \`pnpm infra:deploy\`)`,
    );
  }
  const outputs = wanted.filter((key) => facts.outputs[key]);
  return {
    roles,
    bucket: trusted.bucket,
    appResources: trusted.appResources,
    region: facts.outputs.Region,
    result: {
      name,
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${facts.name} is ${facts.status} with outputs ${outputs.join(", ")} (bucket ${trusted.bucket}, region ${facts.outputs.Region}), each role and the bucket the stack's own (account ${trusted.account}).`
          : `${facts.name}: ${problems.join("; ")}.`,
    },
  };
}

// --- 3. OIDC provider ---------------------------------------------------------------------------

export interface ProviderFacts {
  arn: string;
  /** IAM returns the URL without https://. */
  url: string;
  clientIds: string[];
}

export type ProvidersFacts =
  | { ok: true; providers: ProviderFacts[] }
  | { ok: false; error: string };

export interface ProviderCheck {
  result: CheckResult;
  /** The provider for the issuer, when it exists. */
  providerArn?: string;
}

const hostPathOf = (url: string) => url.replace(/^https:\/\//i, "").replace(/\/+$/, "");

export function checkProvider(
  facts: ProvidersFacts,
  config: Pick<
    InfraConfig,
    "issuerUrl" | "issuerHostPath" | "issuerMode" | "audience" | "existingProviderArn"
  >,
): ProviderCheck {
  const name = "oidc-provider";
  if (!facts.ok) return { result: { name, ok: false, detail: facts.error } };
  const provider = facts.providers.find((p) => hostPathOf(p.url) === config.issuerHostPath);
  if (!provider) {
    const others = facts.providers
      .filter((p) => hostPathOf(p.url).startsWith("oidc.vercel.com"))
      .map((p) => `https://${hostPathOf(p.url)}`);
    const hint =
      others.length > 0
        ? ` The account has ${others.join(", ")} instead: the issuer mode differs (VERCEL_ISSUER_MODE=${config.issuerMode}; team mode is https://oidc.vercel.com/<team-slug>, global mode https://oidc.vercel.com) — make it match Vercel → Project → Settings → Security.`
        : "";
    return {
      result: {
        name,
        ok: false,
        detail: `No IAM OIDC provider for ${config.issuerUrl} in this account, so STS answers "InvalidIdentityToken: No OpenIDConnect provider found".${hint} Fix: \`pnpm infra:deploy\` creates it (or set OIDC_PROVIDER_ARN to the existing one).`,
      },
    };
  }
  const problems: string[] = [];
  if (!provider.clientIds.includes(config.audience)) {
    problems.push(
      `its client ids (${provider.clientIds.join(", ") || "none"}) do not contain the audience ${config.audience}, so STS answers "Incorrect token audience". Fix: \`aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${provider.arn} --client-id ${config.audience}\``,
    );
  }
  if (config.existingProviderArn && config.existingProviderArn !== provider.arn) {
    problems.push(
      `OIDC_PROVIDER_ARN is ${config.existingProviderArn}, but the account's provider for the issuer is ${provider.arn}`,
    );
  }
  return {
    providerArn: provider.arn,
    result: {
      name,
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${provider.arn}, client ids: ${provider.clientIds.join(", ")}.`
          : `${provider.arn}: ${problems.join("; ")}.`,
    },
  };
}

// --- 5. permissions -----------------------------------------------------------------------------

export interface RolePermissionFacts {
  role: StackRole;
  policies: { name: string; kind: "inline" | "managed"; document: string }[];
  /** The role's permissions boundary (GetRole), when it has one. */
  boundaryArn?: string;
  error?: string;
}

export function checkPermissions(
  facts: readonly RolePermissionFacts[],
  /** The stack's bucket: each role's grants must stay inside its environment's part of it. */
  bucket?: string,
  /**
   * With the GitHub deploy role on: the app boundary every Vercel role must carry (a deploy run
   * may rewrite a Vercel role's policy; the boundary is what keeps it to the app bucket).
   */
  appBoundaryName?: string,
  /** The app's own resources: each role may reach its environment's ones too. */
  appResources: readonly DeployedAppResource[] = [],
): CheckResult {
  const name = "permissions";
  if (facts.length === 0) {
    return {
      name,
      ok: false,
      detail: "Not checked: the stack's RoleArn outputs were not found (see stack).",
    };
  }
  let ok = true;
  const lines = facts.map(({ role, policies, boundaryArn, error }) => {
    if (error) {
      ok = false;
      return `${role.environment} role ${role.name}: could not read its policies: ${error}.`;
    }
    const problems: string[] = [];
    if (appBoundaryName && boundaryArn?.split("/").pop() !== appBoundaryName) {
      problems.push(
        `${boundaryArn ? `its permissions boundary is ${boundaryArn}, not` : "it has no permissions boundary, not"} ${appBoundaryName}, which every Vercel role carries while the GitHub deploy role may rewrite their policies (the deploy role could widen it past the app bucket)`,
      );
    }
    const actions: string[] = [];
    for (const policy of policies) {
      let document: PolicyDocument;
      try {
        document = parsePolicyDocument(policy.document);
      } catch {
        problems.push(`${policy.kind} policy ${policy.name} is not JSON`);
        continue;
      }
      actions.push(...allowedActions(document));
      for (const problem of permissionProblems(document)) {
        problems.push(`${problem} in ${policy.kind} policy ${policy.name}`);
      }
      if (bucket) {
        const own = appResources
          .filter((resource) => resource.environment === role.environment)
          .map((resource) => resource.arn);
        for (const problem of scopeProblems(document, role.environment, bucket, own)) {
          problems.push(`${problem} (${policy.kind} policy ${policy.name})`);
        }
      }
    }
    if (problems.length > 0) {
      ok = false;
      return `${role.environment} role ${role.name}: ${problems.join("; ")}.`;
    }
    const distinct = [...new Set(actions)];
    const ownNames = appResources
      .filter((resource) => resource.environment === role.environment)
      .map((resource) => resource.physicalId);
    const where = bucket
      ? `${[`${bucket}/${role.environment}/`, ...ownNames].join(", ")} only`
      : "named resources only";
    return `${role.environment}: ${distinct.length > 0 ? `${distinct.join(", ")} on ${where}` : "no permissions"}.`;
  });
  if (!ok) {
    lines.push(
      "Fix: grant exact actions on the stack's own resources in the construct (infra/stack/src/vercel-oidc.ts; the app's own resources in infra/stack/src/app-resources.ts) and redeploy; remove policies added by hand (`aws iam delete-role-policy` / `detach-role-policy`); a missing boundary comes back with `pnpm infra:deploy` as an administrator.",
    );
  }
  return { name, ok, detail: lines.join(" ") };
}

// --- 6. health ----------------------------------------------------------------------------------

export type HealthFacts =
  | { url: string; status: number; body: unknown }
  | { url: string; error: string };

export function checkHealth(facts: HealthFacts, roles: readonly StackRole[]): CheckResult {
  const name = "health";
  if ("error" in facts) {
    return {
      name,
      ok: false,
      detail: `GET ${facts.url} failed: ${facts.error}. Fix: check the URL and that the deployment is up.`,
    };
  }
  const body = (typeof facts.body === "object" && facts.body !== null ? facts.body : {}) as {
    ok?: unknown;
    mode?: unknown;
    roleArn?: unknown;
    roleName?: unknown;
    error?: { code?: unknown; title?: unknown };
  };
  const mode = typeof body.mode === "string" ? body.mode : "unknown";
  if (facts.status !== 200 || body.ok !== true) {
    const why =
      body.error && typeof body.error.title === "string"
        ? `${body.error.title}${typeof body.error.code === "string" ? ` (${body.error.code})` : ""}`
        : typeof facts.body === "object"
          ? "no explanation in the answer"
          : "the answer is not the health JSON (is this a Keyless app?)";
    return {
      name,
      ok: false,
      detail: `GET ${facts.url} answered ${facts.status}, ok=${String(body.ok)}, mode ${mode}: ${why}. The deployment cannot reach AWS; see the explanation on its page or \`pnpm exec aws-auth doctor\`.`,
    };
  }
  // Production answers only the role's name (its ARN would show the account); others the ARN.
  const roleArn =
    typeof body.roleArn === "string"
      ? body.roleArn
      : typeof body.roleName === "string"
        ? body.roleName
        : undefined;
  if (!roleArn) {
    return {
      name,
      ok: false,
      detail: `GET ${facts.url} is ok (mode ${mode}) but names no assumed role: the app does not use a role of this stack.`,
    };
  }
  // STS reports the role without its IAM path, so compare by name (and account, when shown).
  const account = (arn: string) => arn.split(":")[4];
  const role = roles.find(
    (candidate) =>
      candidate.name === roleArn.split("/").pop() &&
      (!roleArn.startsWith("arn:") || account(candidate.arn) === account(roleArn)),
  );
  if (!role) {
    return {
      name,
      ok: false,
      detail: `GET ${facts.url} is ok, but the app assumed ${roleArn}, which is not a role of this stack (${roles.map((r) => r.arn).join(", ") || "none found"}). Fix: set AWS_ROLE_ARN in Vercel to the stack's RoleArn output and redeploy.`,
    };
  }
  return {
    name,
    ok: true,
    detail: `GET ${facts.url} → 200, mode ${mode}, assumed the ${role.environment} role ${roleArn}.`,
  };
}
