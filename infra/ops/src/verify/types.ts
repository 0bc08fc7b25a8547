// What `pnpm verify` reports. The JSON form (`--json`) is a stable interface (DESIGN.md):
// { ok, checks: [{ name, ok, detail }], events: [{ time, roleArn, sessionName, subject, sourceIp,
// userAgent, region, errorCode }] } — keep these keys exactly.

import type { VercelEnvironment } from "@repo/infra/vercel-naming";

/** The checks, in the order they run and print. */
export const CHECK_NAMES = [
  "credentials",
  "stack",
  "oidc-provider",
  "trust-policy",
  "permissions",
  "health",
  "vercel-project",
  "github-oidc",
  "cloudtrail",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** One or more sentences: what was found, and on failure the likely cause and the fix. */
  detail: string;
}

/** An AssumeRoleWithWebIdentity event from CloudTrail, reduced to what identifies the caller. */
export interface VerifyEvent {
  /** ISO 8601, as CloudTrail's eventTime. */
  time: string;
  roleArn: string | null;
  /** The role session name: Keyless's provider names the deployment in it. */
  sessionName: string | null;
  /** The token's `sub` (owner:<team>:project:<project>:environment:<env>). */
  subject: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  region: string | null;
  /** null when the exchange succeeded. */
  errorCode: string | null;
}

export interface VerifyReport {
  ok: boolean;
  checks: CheckResult[];
  events: VerifyEvent[];
}

/** A role of the deployed stack, found through its RoleArn<Environment> output. */
export interface StackRole {
  environment: VercelEnvironment;
  arn: string;
  /** The role name (the last part of the ARN): what IAM calls take. */
  name: string;
}
