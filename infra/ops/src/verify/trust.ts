// Check 4: each deployed role's trust policy, read structurally (who, which action, which
// conditions) and then decided by the infra trust evaluator on the claim sets `trust:check` uses.

import type { InfraConfig } from "@repo/infra/config";
import {
  ASSUME_ACTION,
  decideClaims,
  type TemplateRole,
  trustMatrixCases,
} from "@repo/infra/trust/check";
import { parseProviderArn, type VercelEnvironment, vercelSubject } from "@repo/infra/vercel-naming";
import { listOf, type PolicyDocument, parsePolicyDocument, statementsOf } from "./policy";
import type { CheckResult, StackRole } from "./types";

export interface RoleTrustFacts {
  role: StackRole;
  /** As IAM's GetRole returns it (URL-encoded JSON). */
  trustPolicy?: string;
  /** Why the policy could not be read. */
  error?: string;
}

export type TrustConfig = Pick<
  InfraConfig,
  | "teamSlug"
  | "projectName"
  | "environments"
  | "issuerMode"
  | "issuerUrl"
  | "issuerHostPath"
  | "audience"
  | "subjects"
>;

/** Actions a web-identity trust statement may allow besides the exchange itself. */
const SESSION_ACTIONS = new Set(["sts:tagsession", "sts:setsourceidentity"]);

/**
 * What is wrong with the shape of one role's trust policy: the Federated principal must be the
 * provider, `aud` and `sub` must be pinned with StringEquals to exactly this role's values, and
 * nothing may be a wildcard. Deny statements only take away, so they are not inspected.
 */
export function trustPolicyProblems(
  document: PolicyDocument,
  expected: { providerArn: string; issuerHostPath: string; audience: string; subject: string },
): string[] {
  const problems: string[] = [];
  const audKey = `${expected.issuerHostPath}:aud`.toLowerCase();
  const subKey = `${expected.issuerHostPath}:sub`.toLowerCase();
  const allows = statementsOf(document).filter((statement) => statement.Effect === "Allow");
  if (allows.length === 0) problems.push("no statement allows anything");
  for (const statement of allows) {
    const principal = statement.Principal;
    if (statement.NotPrincipal !== undefined) {
      problems.push("NotPrincipal trusts everyone except the principals it lists");
    }
    if (principal === undefined || principal === "*") {
      problems.push(`Principal is "*" (anyone), not the OIDC provider`);
    } else {
      for (const [kind, values] of Object.entries(principal)) {
        for (const value of listOf(values)) {
          if (kind !== "Federated") problems.push(`it also trusts ${kind} ${value}`);
          else if (value !== expected.providerArn) {
            problems.push(`Federated is ${value}, not the provider ${expected.providerArn}`);
          }
        }
      }
    }
    for (const action of listOf(statement.Action)) {
      const lower = action.toLowerCase();
      if (/[*?]/.test(action)) problems.push(`Action "${action}" is a wildcard`);
      else if (lower !== ASSUME_ACTION.toLowerCase() && !SESSION_ACTIONS.has(lower)) {
        problems.push(`it also allows ${action}`);
      }
    }
    if (statement.NotAction !== undefined) problems.push("NotAction allows almost every action");

    const pinned = { aud: false, sub: false };
    const mentioned = { aud: false, sub: false };
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      for (const [key, raw] of Object.entries(block)) {
        const which =
          key.toLowerCase() === audKey ? "aud" : key.toLowerCase() === subKey ? "sub" : undefined;
        if (!which) continue;
        const values = (Array.isArray(raw) ? raw : [raw]).map(String);
        mentioned[which] = true;
        const want = which === "aud" ? expected.audience : expected.subject;
        if (operator.toLowerCase() !== "stringequals") {
          const wildcard = values.some((value) => /[*?]/.test(value)) ? " with a wildcard" : "";
          problems.push(
            `${which} is matched by ${operator}${wildcard} (${values.map((v) => `"${v}"`).join(", ")}); pin it with StringEquals "${want}"`,
          );
          continue;
        }
        const others = values.filter((value) => value !== want);
        if (others.length > 0) {
          problems.push(
            `${which} StringEquals ${others.map((v) => `"${v}"`).join(", ")}${values.includes(want) ? " besides" : " instead of"} "${want}"`,
          );
          continue;
        }
        pinned[which] = true;
      }
    }
    // A key matched the wrong way was reported above; one never mentioned is not checked at all.
    if (!pinned.aud && !mentioned.aud) {
      problems.push(`aud is not pinned: add StringEquals "${expected.audience}"`);
    }
    if (!pinned.sub && !mentioned.sub) {
      problems.push(`sub is not pinned: add StringEquals "${expected.subject}"`);
    }
  }
  return [...new Set(problems)];
}

/** Check 4. `providerArn` is the provider the roles must trust (found in check 3 or expected). */
export function checkTrust(
  facts: readonly RoleTrustFacts[],
  config: TrustConfig,
  providerArn: string,
): CheckResult {
  const name = "trust-policy";
  if (facts.length === 0) {
    return {
      name,
      ok: false,
      detail: "Not checked: the stack's RoleArn outputs were not found (see stack).",
    };
  }
  const parsedProvider = parseProviderArn(providerArn);
  const lines: string[] = [];
  let ok = true;
  const roles: TemplateRole[] = [];
  for (const { role, trustPolicy, error } of facts) {
    if (trustPolicy === undefined) {
      ok = false;
      lines.push(
        `${role.environment} role ${role.name}: could not read its trust policy: ${error ?? "no document"}.`,
      );
      continue;
    }
    let document: PolicyDocument;
    try {
      document = parsePolicyDocument(trustPolicy);
    } catch {
      ok = false;
      lines.push(`${role.environment} role ${role.name}: its trust policy is not JSON.`);
      continue;
    }
    roles.push({ logicalId: role.arn, trustPolicy: document });
    const subject =
      config.subjects[role.environment] ??
      vercelSubject(config.teamSlug, config.projectName, role.environment);
    const problems = trustPolicyProblems(document, {
      providerArn,
      issuerHostPath: config.issuerHostPath,
      audience: config.audience,
      subject,
    });
    if (!config.environments.includes(role.environment)) {
      problems.push(
        `the stack trusts ${role.environment}, which VERCEL_ENVIRONMENTS does not list`,
      );
    }
    if (problems.length > 0) {
      ok = false;
      lines.push(`${role.environment} role ${role.name}: ${problems.join("; ")}.`);
    } else {
      lines.push(
        `${role.environment}: Federated = the provider; StringEquals aud = ${config.audience}, sub = ${subject}.`,
      );
    }
  }

  // The evaluator decides the same claim sets as `pnpm trust:check`, on the deployed policies.
  const arnFor = (environment: VercelEnvironment) =>
    facts.find((fact) => fact.role.environment === environment)?.role.arn ??
    `(no ${environment} role)`;
  const envOf = (arn: string | null) =>
    facts.find((fact) => fact.role.arn === arn)?.role.environment ?? "no";
  const cases = trustMatrixCases(config, arnFor);
  const wrong: string[] = [];
  for (const matrixCase of cases) {
    const decision = decideClaims(roles, matrixCase.claims, {
      defaultIssuer: config.issuerUrl,
      account: parsedProvider?.account ?? "000000000000",
      partition: parsedProvider?.partition,
    });
    if (decision.role === matrixCase.expectedRole) continue;
    wrong.push(
      matrixCase.expectedRole === null
        ? `${matrixCase.label}: allowed by the ${envOf(decision.role)} role, should be denied`
        : `${matrixCase.label}: ${decision.role ? `allowed by the ${envOf(decision.role)} role` : "denied"}, should be allowed by the ${envOf(matrixCase.expectedRole)} role`,
    );
  }
  if (wrong.length > 0) {
    ok = false;
    lines.push(`Trust evaluator: ${wrong.join("; ")}.`);
  } else if (roles.length > 0) {
    lines.push(
      `Trust evaluator: all ${cases.length} claim sets decided as configured (this project's ${config.environments.join("/")} tokens allowed; other environments, projects, teams, audiences and issuers denied).`,
    );
  }
  if (!ok) {
    lines.push(
      "Fix: redeploy the stack from this configuration (`pnpm infra:deploy`) instead of editing trust policies by hand; `pnpm trust:check` shows which token each role accepts.",
    );
  }
  return { name, ok, detail: lines.join(" ") };
}
