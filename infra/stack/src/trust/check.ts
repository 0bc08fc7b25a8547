// trust:check — takes the roles' trust policies from the synthesized template (what would be
// deployed, not what the config meant) and asks the evaluator who may assume them.

import type { InfraConfig } from "../config";
import { GITHUB_DEPLOY_ROLE_LOGICAL_ID } from "../github-naming";
import type { CfnTemplate } from "../synth";
import {
  isStandardEnvironment,
  parseProviderArn,
  VERCEL_ENVIRONMENTS,
  type VercelEnvironment,
  vercelIssuer,
  vercelSubject,
} from "../vercel-naming";
import { ClaimsFileError } from "./claims-file";
import {
  contextFromClaims,
  evaluateTrustPolicy,
  issuerHostPath,
  oidcProviderArn,
  type PolicyDocument,
} from "./evaluate";
import { githubMatrixCases, type MatrixCase } from "./github-cases";

/** Account used for providers the stack creates (their ARN is only known after deploy). */
export const SYNTH_ACCOUNT = "123456789012";
export const ASSUME_ACTION = "sts:AssumeRoleWithWebIdentity";

export interface TemplateRole {
  /** CloudFormation logical id, e.g. VercelRoleProduction. */
  readonly logicalId: string;
  /** The trust policy with the provider reference replaced by its ARN. */
  readonly trustPolicy: PolicyDocument;
}

export interface ClaimsDecision {
  allowed: boolean;
  /** Logical id of the role the claims may assume, or null. */
  role: string | null;
  reason: string;
}

/** Where the account and partition of the provider ARNs come from. */
export function trustAccount(config: Pick<InfraConfig, "existingProviderArn" | "github">): {
  account: string;
  partition: string;
} {
  // Both providers live in the stack's account: either existing ARN names it.
  const existing = config.existingProviderArn ?? config.github?.existingProviderArn;
  const parsed = existing ? parseProviderArn(existing) : undefined;
  return { account: parsed?.account ?? SYNTH_ACCOUNT, partition: parsed?.partition ?? "aws" };
}

/** Every IAM role in `template` with a literal trust policy (provider Refs resolved). */
export function rolesFromTemplate(
  template: CfnTemplate,
  account = SYNTH_ACCOUNT,
  partition = "aws",
): TemplateRole[] {
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && first[0] === "Ref" && typeof first[1] === "string") {
      const target = template.Resources[first[1]];
      const url = target?.Properties?.Url;
      if (target?.Type === "AWS::IAM::OIDCProvider" && typeof url === "string") {
        return oidcProviderArn(url, account, partition);
      }
    }
    if (first && (first[0] === "Ref" || first[0].startsWith("Fn::")) && entries.length === 1) {
      throw new Error(
        `A trust policy holds ${JSON.stringify(value)}, which trust:check cannot resolve`,
      );
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === "AWS::IAM::Role")
    .map(([logicalId, resource]) => ({
      logicalId,
      trustPolicy: resolve(resource.Properties?.AssumeRolePolicyDocument) as PolicyDocument,
    }));
}

/**
 * Which role (if any) a token with these claims may assume. `defaultIssuer` stands in for a
 * missing `iss`; the principal is the provider for the token's issuer in the stack's account.
 */
export function decideClaims(
  roles: readonly TemplateRole[],
  claims: Readonly<Record<string, unknown>>,
  options: { defaultIssuer: string; account: string; partition?: string },
): ClaimsDecision {
  const issuer = typeof claims.iss === "string" ? claims.iss : options.defaultIssuer;
  const principal = oidcProviderArn(issuer, options.account, options.partition);
  const context = contextFromClaims(issuerHostPath(issuer), claims);
  const misses: string[] = [];
  for (const role of roles) {
    const decision = evaluateTrustPolicy(role.trustPolicy, {
      principal,
      action: ASSUME_ACTION,
      context,
    });
    if (decision.allowed) {
      return {
        allowed: true,
        role: role.logicalId,
        reason: `${role.logicalId}: ${decision.reason}`,
      };
    }
    misses.push(`${role.logicalId}: ${compactReason(decision.reason)}`);
  }
  if (roles.length === 0) return { allowed: false, role: null, reason: "the stack has no roles" };
  if (misses.every((miss) => miss.includes(`principal ${principal} is not`))) {
    return {
      allowed: false,
      role: null,
      reason: `no role trusts the provider for issuer ${issuer} (${principal})`,
    };
  }
  // Roles for another issuer say nothing useful about this token: report the ones that trust it.
  const relevant = misses.filter((miss) => !miss.includes(`principal ${principal} is not`));
  return { allowed: false, role: null, reason: relevant.join(" | ") };
}

function compactReason(reason: string): string {
  return reason
    .replace(/^no statement allows it \((.*)\)$/s, "$1")
    .replace(/^Statement\[0\]: /, "");
}

// --- A template from any CDK app (`trust:check --template FILE --claims FILE`) --------------

const PROVIDER_ARN = /^arn:([\w-]+):iam::(\d{12}):oidc-provider\/(.+)$/;

/**
 * The web-identity roles of a template synthesized by another CDK app (the copied construct in a
 * stack of its own), with what deciding claims against them needs: the account and partition of
 * a provider named by ARN (else the synth placeholder), and the issuer to assume for claims
 * without `iss` when the template trusts exactly one. Roles that trust no web identity (a
 * function's execution role, say) are left out: their trust is not this check's business.
 */
export function templateTrust(template: CfnTemplate): {
  roles: TemplateRole[];
  account: string;
  partition: string;
  defaultIssuer: string | undefined;
} {
  const webIdentity = Object.fromEntries(
    Object.entries(template.Resources).filter(
      ([, resource]) =>
        resource.Type !== "AWS::IAM::Role" ||
        JSON.stringify(resource.Properties?.AssumeRolePolicyDocument ?? {}).includes(ASSUME_ACTION),
    ),
  );
  const text = JSON.stringify(webIdentity);
  const named = [...text.matchAll(/"(arn:[\w-]+:iam::\d{12}:oidc-provider\/[^"]+)"/g)].map(
    (match) => PROVIDER_ARN.exec(match[1] ?? ""),
  );
  const account = named[0]?.[2] ?? SYNTH_ACCOUNT;
  const partition = named[0]?.[1] ?? "aws";
  const issuers = new Set([
    ...named.map((match) => `https://${match?.[3]}`),
    ...Object.values(webIdentity)
      .filter((resource) => resource.Type === "AWS::IAM::OIDCProvider")
      .map((resource) => String(resource.Properties?.Url)),
  ]);
  const roles = rolesFromTemplate({ ...template, Resources: webIdentity }, account, partition);
  return {
    roles,
    account,
    partition,
    defaultIssuer: issuers.size === 1 ? [...issuers][0] : undefined,
  };
}

/** Decides each claim object against a template's roles; a claim without `iss` needs the one
 * issuer the template trusts. */
export function decideClaimsAgainstTemplate(
  template: CfnTemplate,
  claimsList: readonly Readonly<Record<string, unknown>>[],
): ClaimsDecision[] {
  const { roles, account, partition, defaultIssuer } = templateTrust(template);
  return claimsList.map((claims, index) => {
    if (typeof claims.iss !== "string" && !defaultIssuer) {
      throw new ClaimsFileError(
        `claim object ${index} has no "iss", and the template trusts ${
          roles.length === 0 ? "no" : "more than one"
        } OIDC issuer: add "iss" (e.g. "https://oidc.vercel.com/<team-slug>")`,
      );
    }
    return decideClaims(roles, claims, {
      defaultIssuer: defaultIssuer ?? "",
      account,
      partition,
    });
  });
}

// --- The built-in matrix ----------------------------------------------------------------------

export type { MatrixCase } from "./github-cases";

export interface MatrixRow extends MatrixCase {
  readonly decision: ClaimsDecision;
  /** The decision agrees with the configuration. */
  readonly ok: boolean;
}

/** Vercel-shaped claim sets around the configured team and project. */
export function trustMatrixCases(
  config: Pick<InfraConfig, "teamSlug" | "projectName" | "environments" | "issuerMode"> &
    Partial<Pick<InfraConfig, "audience" | "teamAudience">>,
  roleIdFor: (environment: VercelEnvironment) => string,
): MatrixCase[] {
  const { teamSlug, projectName, issuerMode } = config;
  const [firstEnvironment = "production"] = config.environments;
  // With VERCEL_OIDC_AUDIENCE every token is the exchanged one: any team can ask for that aud.
  const customAudience =
    config.audience !== undefined && config.audience !== config.teamAudience
      ? config.audience
      : undefined;
  const tokenFor = (team: string, project: string, environment: string) => {
    const issuer = vercelIssuer({ teamSlug: team, issuerMode });
    return {
      iss: issuer.issuerUrl,
      aud: customAudience ?? issuer.audience,
      sub: vercelSubject(team, project, environment),
    };
  };
  const ours = tokenFor(teamSlug, projectName, firstEnvironment);
  // Every built-in environment, each configured custom one, and a custom one not configured.
  const environments = [
    ...new Set([...VERCEL_ENVIRONMENTS, ...config.environments, UNLISTED_ENVIRONMENT]),
  ];
  const cases: MatrixCase[] = environments.map((environment) => ({
    label: `this project, ${environment}${isStandardEnvironment(environment) ? "" : " (custom environment)"}`,
    claims: tokenFor(teamSlug, projectName, environment),
    expectedRole: config.environments.includes(environment) ? roleIdFor(environment) : null,
  }));
  const denied = (label: string, claims: Record<string, string>): MatrixCase => ({
    label,
    claims,
    expectedRole: null,
  });
  const otherIssuer =
    issuerMode === "team"
      ? vercelIssuer({ teamSlug, issuerMode: "global" }).issuerUrl
      : vercelIssuer({ teamSlug, issuerMode: "team" }).issuerUrl;
  cases.push(
    denied("another project of the team", tokenFor(teamSlug, "other-app", firstEnvironment)),
    denied(`project name extends ours (${projectName}-evil)`, {
      ...ours,
      sub: vercelSubject(teamSlug, `${projectName}-evil`, firstEnvironment),
    }),
    denied(`project name extends ours (${projectName}2)`, {
      ...ours,
      sub: vercelSubject(teamSlug, `${projectName}2`, firstEnvironment),
    }),
    denied(
      "another team, same project name",
      tokenFor("other-team", projectName, firstEnvironment),
    ),
    denied(
      `team slug extends ours (${teamSlug}-evil)`,
      tokenFor(`${teamSlug}-evil`, projectName, firstEnvironment),
    ),
    ...audienceCases(teamSlug, customAudience).map(([label, aud]) =>
      denied(label, { ...ours, aud }),
    ),
    denied(
      issuerMode === "team" ? "global issuer, team provider" : "team issuer, global provider",
      { ...ours, iss: otherIssuer },
    ),
    denied("sub with upper-case team", {
      ...ours,
      sub: `owner:${teamSlug.toUpperCase()}:project:${projectName}:environment:${firstEnvironment}`,
    }),
    denied("sub with capitalised project", {
      ...ours,
      sub: `owner:${teamSlug}:project:${capitalise(projectName)}:environment:${firstEnvironment}`,
    }),
    denied("sub with capitalised environment", {
      ...ours,
      sub: `owner:${teamSlug}:project:${projectName}:environment:${capitalise(firstEnvironment)}`,
    }),
    denied("sub without environment", {
      ...ours,
      sub: `owner:${teamSlug}:project:${projectName}`,
    }),
  );
  return cases;
}

/** Audiences a token of this project may carry that the stack must refuse, labelled. */
function audienceCases(teamSlug: string, customAudience: string | undefined): [string, string][] {
  const teamAudience = vercelIssuer({ teamSlug }).audience;
  const cases: [string, string][] = customAudience
    ? [
        [`team audience, not exchanged (${teamAudience})`, teamAudience],
        ["another custom audience (api.example.com)", "api.example.com"],
      ]
    : [["wrong audience (sts.amazonaws.com)", "sts.amazonaws.com"]];
  cases.push([`another team's audience`, "https://vercel.com/other-team"]);
  return cases.filter(([, aud]) => aud !== customAudience);
}

/** A custom environment's name the configuration (normally) does not list: denied unless listed. */
const UNLISTED_ENVIRONMENT = "unlisted";

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function runTrustMatrix(
  config: InfraConfig,
  template: CfnTemplate,
  roleIdFor: (environment: VercelEnvironment) => string,
): MatrixRow[] {
  const { account, partition } = trustAccount(config);
  const roles = rolesFromTemplate(template, account, partition);
  const cases = [
    ...trustMatrixCases(config, roleIdFor),
    ...(config.github ? githubMatrixCases(config.github, GITHUB_DEPLOY_ROLE_LOGICAL_ID) : []),
  ];
  return cases.map((matrixCase) => {
    const decision = decideClaims(roles, matrixCase.claims, {
      defaultIssuer: config.issuerUrl,
      account,
      partition,
    });
    return { ...matrixCase, decision, ok: decision.role === matrixCase.expectedRole };
  });
}

/** Decides each claim object of a `--claims` file, same order. */
export function decideClaimsList(
  config: InfraConfig,
  template: CfnTemplate,
  claimsList: readonly Readonly<Record<string, unknown>>[],
): ClaimsDecision[] {
  const { account, partition } = trustAccount(config);
  const roles = rolesFromTemplate(template, account, partition);
  return claimsList.map((claims) =>
    decideClaims(roles, claims, { defaultIssuer: config.issuerUrl, account, partition }),
  );
}

/** A plain-text table: one row per claim set, the decision, and whether it is as configured. */
export function formatTrustMatrix(rows: readonly MatrixRow[]): string {
  return formatTable(
    ["", "claim set", "sub", "decision", "why"],
    rows.map((row) => [
      row.ok ? "ok" : "WRONG",
      row.label,
      row.claims.sub ?? "",
      row.decision.role ? `allowed → ${row.decision.role}` : "denied",
      row.ok
        ? row.decision.reason
        : `expected ${row.expectedRole ?? "denied"}; ${row.decision.reason}`,
    ]),
  );
}

/** Columns padded to their widest cell; the last column runs free. */
export function formatTable(header: readonly string[], body: readonly string[][]): string {
  const widths = header
    .slice(0, -1)
    .map((cell, i) => Math.max(cell.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}
