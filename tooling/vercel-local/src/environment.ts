// The environments Vercel gives a build and a function, reproduced for one local deployment.
// Sources: Vercel's "System environment variables" and "Reserved environment variables" pages, and
// its guide on AWS SDK variables in functions (see ../../FACTS in the README).
import { randomBytes } from "node:crypto";
import type { SandboxAccess, VercelEnvironment } from "./sandbox";

/** Vercel function regions and the AWS region each runs in (Vercel presets AWS_REGION to it). */
export const VERCEL_REGIONS: Readonly<Record<string, string>> = {
  arn1: "eu-north-1",
  bom1: "ap-south-1",
  cdg1: "eu-west-3",
  cle1: "us-east-2",
  cpt1: "af-south-1",
  dub1: "eu-west-1",
  dxb1: "me-central-1",
  fra1: "eu-central-1",
  gru1: "sa-east-1",
  hkg1: "ap-east-1",
  hnd1: "ap-northeast-1",
  iad1: "us-east-1",
  icn1: "ap-northeast-2",
  kix1: "ap-northeast-3",
  lhr1: "eu-west-2",
  pdx1: "us-west-2",
  sfo1: "us-west-1",
  sin1: "ap-southeast-1",
  syd1: "ap-southeast-2",
  yul1: "ca-central-1",
};

export interface DeploymentOptions {
  environment: VercelEnvironment;
  /** Host and port the deployment answers on (VERCEL_URL has no scheme). */
  host: string;
  /** The function region (VERCEL_REGION). @default iad1 */
  functionRegion?: string;
  /** Leave AWS_REGION out of the project's variables, so Vercel's preset applies. */
  omitProjectRegion?: boolean;
  /**
   * The project as the Deploy button leaves it: none of the stack's variables (no role, bucket,
   * region or sandbox endpoint), so the app shows its owner the set-up steps.
   */
  unconfigured?: boolean;
  /**
   * The variables the project holds (the sandbox's Vercel project, as `vercel:env --sandbox
   * --apply` left it): used as they are instead of the stack's values, with AWS_ENDPOINT_URL.
   */
  fromProject?: Record<string, string>;
  /** Extra project variables for this environment, e.g. KEYLESS_PUBLIC_DEMO=on. */
  projectVariables?: Record<string, string>;
  git?: GitFacts;
}

export interface GitFacts {
  sha: string;
  ref: string;
  message: string;
  author: string;
}

/** A Vercel-shaped deployment id (`dpl_` + 24 base62-ish characters). */
export function newDeploymentId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const bytes = randomBytes(24);
  return `dpl_${Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("")}`;
}

/**
 * What the user would set in Vercel → Settings → Environment Variables for this environment:
 * the stack outputs (`pnpm vercel:env`), the role of this environment or — as a user who set one
 * role for all environments would have it — the production role. AWS_ENDPOINT_URL is the one
 * variable no real project has: it points STS and S3 at the sandbox.
 */
export function projectVariables(
  sandbox: Pick<SandboxAccess, "roleArns" | "bucket" | "region" | "endpoint" | "appVariables">,
  options: Pick<
    DeploymentOptions,
    "environment" | "omitProjectRegion" | "projectVariables" | "unconfigured" | "fromProject"
  >,
): Record<string, string> {
  if (options.unconfigured) {
    return { ENABLE_EXPERIMENTAL_COREPACK: "1", ...options.projectVariables };
  }
  if (options.fromProject) {
    return {
      ...options.fromProject,
      AWS_ENDPOINT_URL: sandbox.endpoint,
      ...options.projectVariables,
    };
  }
  const roleArn = sandbox.roleArns[options.environment] ?? sandbox.roleArns.production ?? "";
  return {
    AWS_ROLE_ARN: roleArn,
    S3_BUCKET: sandbox.bucket,
    // The app's own resources (infra/stack/src/app-resources.ts): this environment's.
    ...sandbox.appVariables?.[options.environment],
    ...(options.omitProjectRegion ? {} : { AWS_REGION: sandbox.region }),
    AWS_ENDPOINT_URL: sandbox.endpoint,
    // Vercel honours package.json#packageManager through Corepack when this is set (read in
    // @vercel/build-utils' usingCorepack and the CLI's initCorepack).
    ENABLE_EXPERIMENTAL_COREPACK: "1",
    ...options.projectVariables,
  };
}

function systemVariables(
  options: DeploymentOptions,
  deploymentId: string,
  project: { team: string; name: string },
) {
  const git = options.git;
  return {
    VERCEL: "1",
    VERCEL_ENV: options.environment,
    VERCEL_TARGET_ENV: options.environment,
    VERCEL_URL: options.host,
    VERCEL_BRANCH_URL: options.host,
    VERCEL_PROJECT_PRODUCTION_URL: options.host,
    VERCEL_DEPLOYMENT_ID: deploymentId,
    VERCEL_PROJECT_ID: `prj_local${project.name}`,
    ...(git
      ? {
          VERCEL_GIT_PROVIDER: "github",
          VERCEL_GIT_REPO_OWNER: project.team,
          VERCEL_GIT_REPO_SLUG: project.name,
          VERCEL_GIT_COMMIT_REF: git.ref,
          VERCEL_GIT_COMMIT_SHA: git.sha,
          VERCEL_GIT_COMMIT_MESSAGE: git.message,
          VERCEL_GIT_COMMIT_AUTHOR_LOGIN: git.author,
          VERCEL_GIT_COMMIT_AUTHOR_NAME: git.author,
          VERCEL_GIT_PULL_REQUEST_ID: "",
        }
      : {}),
  };
}

/**
 * The few host variables a process needs to run at all — and to reach the registry through this
 * machine's network (its CA bundle, its proxy) — but nothing of the developer's AWS setup.
 */
export function hostBasics(): Record<string, string> {
  const keep = [
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "TERM",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
  ];
  const out: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The build's environment: CI, system variables, the project's variables, the build token. */
export function buildEnvironment(
  options: DeploymentOptions,
  deploymentId: string,
  project: { team: string; name: string },
  variables: Record<string, string>,
  oidcToken: string,
): Record<string, string> {
  return {
    ...hostBasics(),
    CI: "1",
    NEXT_TELEMETRY_DISABLED: "1",
    VERCEL_TELEMETRY_DISABLED: "1",
    // This machine's registry mirror serves pnpm without npm's signatures, so Corepack's check
    // fails here; Vercel's builders reach the real registry. Local-only.
    COREPACK_INTEGRITY_KEYS: "0",
    ...systemVariables(options, deploymentId, project),
    ...variables,
    VERCEL_OIDC_TOKEN: oidcToken,
  };
}

/**
 * A function's environment on Vercel: system variables, the Lambda ones Vercel reserves, AWS keys
 * that grant nothing and AWS_REGION preset to the function region's — each overridden by a
 * project variable of the same name — and the project's variables.
 */
export function functionEnvironment(
  options: DeploymentOptions,
  deploymentId: string,
  project: { team: string; name: string },
  variables: Record<string, string>,
  functionName: string,
): Record<string, string> {
  const region = options.functionRegion ?? "iad1";
  const awsRegion = VERCEL_REGIONS[region] ?? "us-east-1";
  const injected = {
    AWS_REGION: awsRegion,
    AWS_DEFAULT_REGION: awsRegion,
    // Shaped like the keys Vercel injects; they belong to no one and grant nothing.
    AWS_ACCESS_KEY_ID: "ASIAVERCELLOCAL0000X",
    AWS_SECRET_ACCESS_KEY: "vercel-local-injected-key-that-grants-nothing",
    AWS_SESSION_TOKEN: "vercel-local-injected-session-token",
  };
  const { PATH, HOME, LANG } = hostBasics();
  return {
    ...(PATH ? { PATH } : {}),
    ...(HOME ? { HOME } : {}),
    ...(LANG ? { LANG } : {}),
    TZ: ":UTC",
    NODE_ENV: "production",
    ...injected,
    ...systemVariables(options, deploymentId, project),
    VERCEL_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "2048",
    ...variables,
  };
}
