import type { EnvLike } from "./types";

// STS accepts 2–64 characters of [\w+=,.@-] as a role session name. CloudTrail shows it next to
// every call the session makes, so it should say which deployment made the call.
const ALLOWED = /[^\w+=,.@-]+/g;

export function sanitizeSessionName(raw: string): string {
  let name = raw.replace(ALLOWED, "-").replace(/-{2,}/g, "-").replace(/^-|-$/g, "");
  if (name.length > 64) name = name.slice(0, 64).replace(/-$/, "");
  if (name.length < 2) name = `keyless-${name}`.replace(/-$/, "");
  return name;
}

/**
 * The deployment's Vercel environment: VERCEL_TARGET_ENV where Vercel sets it (it names a custom
 * environment such as `staging`, where VERCEL_ENV says `preview`), else VERCEL_ENV.
 */
export function vercelEnvironmentName(env: EnvLike): string | undefined {
  return env.VERCEL_TARGET_ENV?.trim() || env.VERCEL_ENV?.trim() || undefined;
}

/**
 * Names the session after the deployment: `vercel-<environment>-<deployment id or commit>` on
 * Vercel, `keyless-<user>` elsewhere. `AWS_ROLE_SESSION_NAME` (the SDK's own variable) wins.
 */
export function sessionNameFor(env: EnvLike, onVercel: boolean): string {
  const explicit = env.AWS_ROLE_SESSION_NAME?.trim();
  if (explicit) return sanitizeSessionName(explicit);
  if (onVercel || env.VERCEL_OIDC_TOKEN) {
    const environment = vercelEnvironmentName(env) ?? (onVercel ? "unknown" : "development");
    const deployment =
      env.VERCEL_DEPLOYMENT_ID ??
      env.VERCEL_GIT_COMMIT_SHA?.slice(0, 12) ??
      (onVercel ? "" : "local");
    return sanitizeSessionName(["vercel", environment, deployment].filter(Boolean).join("-"));
  }
  return sanitizeSessionName(`keyless-${env.USER ?? env.USERNAME ?? "local"}`);
}
