import { relative } from "node:path";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { appEnvironment, findApp } from "./app-env";
import { awsClientConfig } from "./client-config";
import { type ExplainedError, explainAwsError } from "./explain";
import { type CredentialResolution, diagnose, type EnvLike } from "./mode";
import { currentTokenSummary, type TokenSummary } from "./token";

export interface DoctorReport {
  ok: boolean;
  /** The app diagnosed (relative to where doctor ran) and the `.env*` files it reads, in order. */
  app?: { dir: string; envFiles: string[] };
  mode: CredentialResolution["mode"];
  because: string[];
  region?: string;
  roleArn?: string;
  profile?: string;
  sessionName: string;
  /** VERCEL_OIDC_AUDIENCE in use: the token sent to STS is exchanged for it. */
  audience?: string;
  /** Token exchanges made for it by the identity call (@vercel/oidc caches repeats). */
  audienceExchanges?: number;
  onVercel: boolean;
  findings: CredentialResolution["findings"];
  token?: TokenSummary;
  identity?: { account?: string; arn?: string; userId?: string };
  /** How long the token and the credentials the identity call used have left. */
  lifetimes?: { tokenSecondsLeft?: number; credentialsSecondsLeft?: number };
  error?: ExplainedError;
}

const secondsUntil = (iso: string | undefined) =>
  iso ? Math.max(0, Math.floor((Date.parse(iso) - Date.now()) / 1000)) : undefined;
const duration = (seconds: number) =>
  seconds >= 3600
    ? `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`
    : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;

export class SeveralAppsError extends Error {
  override name = "SeveralAppsError";
}

export interface DoctorOptions {
  /** Where doctor runs (default: the process's folder). */
  cwd?: string;
  /** The app's folder, relative to cwd, when the workspace has several. */
  app?: string;
}

/**
 * Everything `aws-auth doctor` knows: mode, findings, the token's claims (not the token), identity
 * — for the app the folder names (app-env.ts), with the environment that app reads.
 */
export async function runDoctor(
  baseEnv: EnvLike = process.env,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const cwd = options.cwd ?? process.cwd();
  const app = baseEnv.VERCEL === "1" ? undefined : findApp(cwd, options.app);
  if (app && "several" in app) {
    throw new SeveralAppsError(
      `several apps use this package (${app.several.join(", ")}): name one with --app <dir>`,
    );
  }
  const loaded = app ? appEnvironment(app, baseEnv, cwd) : undefined;
  const env = loaded?.env ?? baseEnv;
  const resolution = diagnose(env, app ? { envDir: app.dir, displayFrom: cwd } : undefined);
  const report: DoctorReport = {
    ok: false,
    ...(app && loaded
      ? { app: { dir: relative(cwd, app.dir) || ".", envFiles: loaded.files } }
      : {}),
    mode: resolution.mode,
    because: resolution.because,
    region: resolution.region,
    roleArn: resolution.roleArn,
    profile: resolution.profile,
    sessionName: resolution.sessionName,
    audience: resolution.audience,
    onVercel: resolution.onVercel,
    findings: resolution.findings,
    token: currentTokenSummary(resolution, env),
  };
  report.lifetimes = { tokenSecondsLeft: secondsUntil(report.token?.expiresAt) };
  if (resolution.mode === "none") return report;
  try {
    const config = awsClientConfig(env);
    const sts = new STSClient(config);
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    report.identity = { account: identity.Account, arn: identity.Arn, userId: identity.UserId };
    const stats = config.credentials.stats();
    if (stats.audience) report.audienceExchanges = stats.audienceExchanges;
    report.lifetimes = {
      tokenSecondsLeft: stats.tokenSecondsLeft ?? report.lifetimes.tokenSecondsLeft,
      credentialsSecondsLeft: stats.credentialsSecondsLeft,
    };
    report.ok = !resolution.findings.some((f) => f.severity === "error");
  } catch (error) {
    report.error = explainAwsError(error, { resolution });
  }
  return report;
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  if (report.app) {
    lines.push(
      `app       ${report.app.dir} (env files: ${report.app.envFiles.length ? report.app.envFiles.join(", ") : "none"})`,
    );
  }
  lines.push(`mode      ${report.mode}`);
  for (const reason of report.because) lines.push(`          ${reason}`);
  if (report.region) lines.push(`region    ${report.region}`);
  if (report.roleArn) lines.push(`role      ${report.roleArn}`);
  if (report.profile) lines.push(`profile   ${report.profile}`);
  if (report.mode !== "none" && report.mode !== "profile")
    lines.push(`session   ${report.sessionName}`);
  if (report.audience) {
    lines.push(
      `audience  ${report.audience} (custom: the token is exchanged for it through Vercel${report.audienceExchanges !== undefined ? `; ${report.audienceExchanges} exchange${report.audienceExchanges === 1 ? "" : "s"}` : ""})`,
    );
  }
  if (report.token) {
    const t = report.token;
    lines.push(`token     sub=${t.sub ?? "?"}`);
    lines.push(`          iss=${t.iss ?? "?"} aud=${t.aud ?? "?"}`);
    const left = report.lifetimes?.tokenSecondsLeft;
    lines.push(
      `          expires ${t.expiresAt ?? "?"}${t.expired ? " (EXPIRED)" : left !== undefined ? ` (${duration(left)} left)` : ""}`,
    );
  }
  if (report.findings.length) {
    lines.push("", "findings");
    for (const f of report.findings) {
      lines.push(`  ${f.severity.padEnd(7)} ${f.message}`, `          fix: ${f.fix}`);
    }
  }
  lines.push("");
  if (report.identity) {
    lines.push(`identity  ${report.identity.arn} (account ${report.identity.account})`);
    const left = report.lifetimes?.credentialsSecondsLeft;
    if (left !== undefined) lines.push(`          credentials expire in ${duration(left)}`);
  } else if (report.error) {
    lines.push(`error     ${report.error.title}`, `          ${report.error.cause}`);
    for (const fix of report.error.fixes) lines.push(`          - ${fix}`);
    if (report.error.docs) lines.push(`          more: ${report.error.docs}`);
  } else if (report.mode === "none") {
    lines.push("identity  none: no AWS credentials are configured (see findings)");
  }
  lines.push(`result    ${report.ok ? "ok" : "not ok"}`);
  return lines.join("\n");
}

export interface PreflightResult {
  /** 0 passes the build, 1 fails it. */
  exitCode: 0 | 1;
  lines: string[];
}

/**
 * For `prebuild` on Vercel: assume the role with the build's OIDC token and print the assumed
 * role in the build log. Fails a production build on an error, warns on others.
 * KEYLESS_PREFLIGHT=strict fails every environment, =warn never fails, =off skips.
 */
const PREFLIGHT_POLICIES = ["strict", "warn", "off"];

export async function runPreflight(env: EnvLike = process.env): Promise<PreflightResult> {
  const raw = env.KEYLESS_PREFLIGHT?.trim() ?? "";
  // A typo must not turn the production gate off: an unknown value fails the build.
  if (raw !== "" && !PREFLIGHT_POLICIES.includes(raw)) {
    return {
      exitCode: 1,
      lines: [
        `aws-auth preflight: FAILED — KEYLESS_PREFLIGHT="${raw}" is not one of ${PREFLIGHT_POLICIES.join(", ")}. Fix: set it to one of those, or delete it (the default fails production builds only).`,
      ],
    };
  }
  const policy = raw || "auto";
  if (policy === "off")
    return { exitCode: 0, lines: ["aws-auth preflight: off (KEYLESS_PREFLIGHT=off)"] };
  if (env.VERCEL !== "1" && policy === "auto") {
    return {
      exitCode: 0,
      lines: [
        "aws-auth preflight: not on Vercel, nothing to prove (set KEYLESS_PREFLIGHT=strict to run anyway)",
      ],
    };
  }
  const strict = policy === "strict" || (policy === "auto" && env.VERCEL_ENV === "production");
  const report = await runDoctor(env);
  const lines: string[] = [];
  // The Deploy button's first build: a production build before the stack exists, so nothing can
  // be configured yet. Failing it would leave no deployment at all; the page shows the setup steps.
  if (report.mode === "none" && !report.roleArn && policy !== "strict") {
    lines.push(
      "aws-auth preflight: warning — no AWS_ROLE_ARN yet: the deployment builds and its page shows the setup steps.",
      "aws-auth preflight: next: `pnpm infra:deploy`, then `pnpm vercel:env --apply` (sets AWS_REGION, AWS_ROLE_ARN, S3_BUCKET), then redeploy.",
    );
    return { exitCode: 0, lines };
  }
  for (const f of report.findings.filter((x) => x.severity !== "info")) {
    lines.push(`aws-auth preflight: ${f.severity}: ${f.message} Fix: ${f.fix}`);
  }
  if (report.identity) {
    lines.push(
      `aws-auth preflight: ok — mode ${report.mode}, assumed ${report.identity.arn} (session ${report.sessionName})`,
    );
    return { exitCode: 0, lines };
  }
  const problem = report.error
    ? `${report.error.title}. ${report.error.cause} Fixes: ${report.error.fixes.join(" | ")}`
    : `no role could be assumed (mode ${report.mode}). ${report.because.join(" ")}`;
  const fail = strict;
  lines.push(`aws-auth preflight: ${fail ? "FAILED" : "warning"} — ${problem}`);
  if (!fail)
    lines.push(
      "aws-auth preflight: continuing the build (only production builds fail; KEYLESS_PREFLIGHT=strict to fail all)",
    );
  return { exitCode: fail ? 1 : 0, lines };
}
