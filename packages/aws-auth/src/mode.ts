import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { audienceFindings, customAudience } from "./audience";
import { capturedBuildRegion } from "./build-env";
import { mayRefreshLocally } from "./local-refresh";
import { describeStaleToken, envFileFolders, observeTokenFiles } from "./local-tokens";
import { checkRegion } from "./regions";
import { parseRoleArn } from "./role-arn";
import { sessionNameFor, vercelEnvironmentName } from "./session-name";

// The app derives its data prefix from the same name the session is named after.
export { vercelEnvironmentName };

import { summarizeToken } from "./token";
import type { CredentialMode, CredentialResolution, EnvLike, Finding, Observations } from "./types";

// `@repo/aws-auth/mode` has always exported the decision's types: they live in types.ts now.
export type {
  CredentialMode,
  CredentialResolution,
  EnvLike,
  Finding,
  Observations,
  Severity,
} from "./types";

const set = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== "";

/**
 * Decides which credentials this process uses, from the environment alone (plus file facts).
 * No I/O, no clock: same input, same answer — so every rule is a row in a table test.
 */
export function resolveCredentialMode(
  env: EnvLike,
  observed: Observations = {},
): CredentialResolution {
  const findings: Finding[] = [];
  const because: string[] = [];
  const add = (finding: Finding) => findings.push(finding);

  const onVercel = env.VERCEL === "1";
  // Vercel injects AWS_* keys of its own into functions at runtime; only at build time can the
  // keys in the environment be told apart as the user's.
  const vercelRuntime = onVercel && (set(env.AWS_LAMBDA_FUNCTION_NAME) || set(env.VERCEL_REGION));
  const roleArn = set(env.AWS_ROLE_ARN) ? env.AWS_ROLE_ARN : undefined;
  const tokenFile = set(env.AWS_WEB_IDENTITY_TOKEN_FILE)
    ? env.AWS_WEB_IDENTITY_TOKEN_FILE
    : undefined;
  const profile = set(env.AWS_PROFILE) ? env.AWS_PROFILE.trim() : undefined;
  const vercelToken = set(env.VERCEL_OIDC_TOKEN) ? env.VERCEL_OIDC_TOKEN : undefined;
  const endpoint = set(env.AWS_ENDPOINT_URL) ? env.AWS_ENDPOINT_URL : undefined;
  const hasStaticKeys = set(env.AWS_ACCESS_KEY_ID) || set(env.AWS_SECRET_ACCESS_KEY);

  let mode: CredentialMode;
  if (roleArn && (onVercel || vercelToken)) {
    mode = "vercel-oidc";
    because.push(
      onVercel
        ? "AWS_ROLE_ARN is set and VERCEL=1: running on Vercel, so the role is assumed with Vercel's OIDC token."
        : "AWS_ROLE_ARN and VERCEL_OIDC_TOKEN are set: the role is assumed with the development token from `vercel env pull`.",
    );
  } else if (roleArn && tokenFile) {
    mode = "web-identity-file";
    because.push(
      "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set (not on Vercel): the role is assumed with the token in that file.",
    );
  } else if (profile && !onVercel) {
    mode = "profile";
    because.push(
      roleArn
        ? `AWS_PROFILE=${profile} is set and there is no OIDC token outside Vercel, so the profile is used and AWS_ROLE_ARN is ignored.`
        : `AWS_PROFILE=${profile} is set and AWS_ROLE_ARN is not: the named profile from ~/.aws is used.`,
    );
  } else {
    mode = "none";
    because.push(
      roleArn
        ? "AWS_ROLE_ARN is set, but there is no OIDC token to assume it with (not on Vercel, no VERCEL_OIDC_TOKEN, no AWS_WEB_IDENTITY_TOKEN_FILE)."
        : onVercel
          ? "Running on Vercel without AWS_ROLE_ARN: no role to assume."
          : "Neither AWS_ROLE_ARN nor AWS_PROFILE is set: no AWS credentials are configured.",
    );
  }

  // --- region -------------------------------------------------------------------------------
  let region = set(env.AWS_REGION) ? env.AWS_REGION.trim() : undefined;
  if (!region && mode === "profile" && profile) region = observed.profiles?.regions[profile];
  if (!region && set(env.AWS_DEFAULT_REGION)) region = env.AWS_DEFAULT_REGION.trim();
  if (mode !== "none" && !region) {
    add({
      code: "region-missing",
      severity: "error",
      message: "AWS_REGION is not set.",
      fix:
        mode === "vercel-oidc"
          ? "Add AWS_REGION (the region of your stack for this environment, e.g. us-east-1) in Vercel → Project → Settings → Environment Variables (`pnpm vercel:env --apply` sets it), then redeploy. Without it, functions run on Vercel's preset AWS_REGION (the function region's, e.g. sfo1 → us-west-1): calls and the CloudTrail event of the exchange go to that region, where `pnpm verify` never looks."
          : "Set AWS_REGION in the root .env (e.g. AWS_REGION=us-east-1), or give the profile a region in ~/.aws/config.",
      variables: ["AWS_REGION"],
    });
  } else if (region) {
    const check = checkRegion(region);
    if (check === "malformed") {
      add({
        code: "region-malformed",
        severity: "error",
        message: `AWS_REGION="${region}" is not a region name.`,
        fix: "Use a region code such as us-east-1 or eu-west-2 (not a name like 'N. Virginia', not an availability zone like us-east-1a).",
        variables: ["AWS_REGION"],
      });
    } else if (check === "unknown") {
      add({
        code: "region-unknown",
        severity: "warning",
        message: `AWS_REGION="${region}" is not a region AWS listed when this package was written.`,
        fix: "Check the spelling against the region of your stack. If it is a new region, ignore this.",
        variables: ["AWS_REGION"],
      });
    }
  }

  if (vercelRuntime && region && observed.buildRegion === "" && mode !== "none") {
    add({
      code: "region-vercel-preset",
      severity: "error",
      message: `AWS_REGION=${region} is Vercel's preset for the function region${env.VERCEL_REGION ? ` ${env.VERCEL_REGION}` : ""}, not a value of this project: the build had no AWS_REGION.`,
      fix: "Set AWS_REGION to the region of your stack for this environment in Vercel → Project → Settings → Environment Variables (`pnpm vercel:env --apply` does it), then redeploy. Until then STS and S3 calls, and the CloudTrail event of the exchange, go to the function's region, where `pnpm verify` never looks.",
      variables: ["AWS_REGION"],
    });
  }

  // --- role ARN -------------------------------------------------------------------------------
  if (roleArn) {
    const parsed = parseRoleArn(roleArn);
    if (!parsed.ok) {
      add({
        code: "role-arn-malformed",
        severity: mode === "profile" ? "warning" : "error",
        message: `AWS_ROLE_ARN is not a role ARN: ${parsed.problem}.`,
        fix: "Copy the role ARN from the stack outputs (`pnpm infra:deploy` prints it), e.g. arn:aws:iam::123456789012:role/KeylessProduction.",
        variables: ["AWS_ROLE_ARN"],
      });
    }
  }
  if (roleArn && mode === "none") {
    add({
      code: "role-without-token",
      severity: "error",
      message: "AWS_ROLE_ARN is set, but there is no OIDC token outside Vercel to assume it with.",
      fix: "Locally, either run `vercel env pull` (writes VERCEL_OIDC_TOKEN, valid ~12 h), or remove AWS_ROLE_ARN and set AWS_PROFILE to a named profile, or run `pnpm dev` with neither to use the local sandbox.",
      variables: ["AWS_ROLE_ARN", "VERCEL_OIDC_TOKEN", "AWS_PROFILE"],
    });
  }

  // --- Vercel-specific conflicts ----------------------------------------------------------------
  if (onVercel && tokenFile) {
    add({
      code: "token-file-on-vercel",
      severity: "error",
      message:
        "AWS_WEB_IDENTITY_TOKEN_FILE is set on Vercel. Vercel never sets it; a hand-set value points the SDK at a file that does not exist there.",
      fix: "Delete AWS_WEB_IDENTITY_TOKEN_FILE from Vercel → Project → Settings → Environment Variables and redeploy.",
      variables: ["AWS_WEB_IDENTITY_TOKEN_FILE"],
    });
  }
  if (onVercel && profile) {
    add({
      code: "profile-on-vercel",
      severity: roleArn ? "warning" : "error",
      message: "AWS_PROFILE is set on Vercel, where there is no ~/.aws folder to read it from.",
      fix: "Delete AWS_PROFILE from the Vercel project's environment variables (it is for local development only).",
      variables: ["AWS_PROFILE"],
    });
  }
  if (onVercel && !roleArn) {
    add({
      code: "role-missing-on-vercel",
      severity: "error",
      message: "AWS_ROLE_ARN is not set on Vercel, so there is no role to assume.",
      fix: "Add AWS_ROLE_ARN (the RoleArn output of the stack for this environment) in Vercel → Project → Settings → Environment Variables, then redeploy.",
      variables: ["AWS_ROLE_ARN"],
    });
  }
  if (mode === "vercel-oidc" && onVercel && !vercelRuntime && !vercelToken) {
    add({
      code: "oidc-token-missing-at-build",
      severity: "warning",
      message:
        "VERCEL_OIDC_TOKEN is not in the build environment: OIDC federation looks disabled for this project.",
      fix: "Turn on OIDC federation in Vercel → Project → Settings → Security (Secure backend access), choose the Team issuer mode, and redeploy.",
      variables: ["VERCEL_OIDC_TOKEN"],
    });
  }
  if (roleArn && hasStaticKeys && mode !== "profile") {
    if (onVercel && vercelRuntime) {
      add({
        code: "static-keys-ignored",
        severity: "info",
        message:
          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are present at runtime. Vercel injects keys of its own into functions; they are ignored.",
        fix: "Nothing to do here. If you added keys yourself, delete them from the project's environment variables.",
        variables: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
      });
    } else {
      add({
        code: "role-with-static-keys",
        severity: "warning",
        message:
          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set together with AWS_ROLE_ARN. Keyless never uses them, but they are long-lived keys that should not exist.",
        fix: onVercel
          ? "Delete AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) from Vercel → Project → Settings → Environment Variables, deactivate the key in IAM, and redeploy."
          : "Remove AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from your environment and .env files.",
        variables: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
      });
    }
  }

  // --- tokens -----------------------------------------------------------------------------------
  const now = observed.now ?? 0;
  const tokenFiles = observed.tokenFiles ?? [];
  if (mode === "vercel-oidc" && vercelToken) {
    try {
      const summary = summarizeToken(vercelToken, now);
      if (observed.now !== undefined && summary.expired) {
        const stale = describeStaleToken(tokenFiles, true);
        // In development the provider asks Vercel's helper for a new one (local-refresh.ts): not
        // blocking, and said so; it falls back to this explanation if that fails.
        const refreshes = !onVercel && mayRefreshLocally(env);
        add({
          code: "vercel-token-expired",
          severity: onVercel || refreshes ? "warning" : "error",
          message: `VERCEL_OIDC_TOKEN expired at ${summary.expiresAt}.${onVercel ? "" : stale.where}${refreshes ? " The app asks Vercel for a new one through the Vercel CLI's login and .vercel/project.json when it next calls AWS (KEYLESS_VERCEL_TOKEN_REFRESH=off turns that off)." : ""}`,
          fix: onVercel
            ? "At runtime the token comes from the request header; if this is a build, redeploy."
            : stale.fix,
          variables: ["VERCEL_OIDC_TOKEN"],
        });
      }
    } catch {
      add({
        code: "vercel-token-not-jwt",
        severity: "error",
        message: "VERCEL_OIDC_TOKEN is not a JWT.",
        fix: "Run `vercel env pull` to write a real token, or remove the variable; never paste a token by hand.",
        variables: ["VERCEL_OIDC_TOKEN"],
      });
    }
  } else if (!vercelToken && !onVercel && tokenFiles[0]?.expired) {
    // Not in this process's environment (the CLI reads no .env file), but the app would read it.
    const stale = describeStaleToken(tokenFiles, false);
    add({
      code: "vercel-token-expired",
      severity: "warning",
      message: `VERCEL_OIDC_TOKEN in ${tokenFiles[0].file} expired at ${tokenFiles[0].expiresAt}: the app reads it from there in development.${stale.where.replace(/^ It comes from [^.]+\./, "")}`,
      fix: stale.fix,
      variables: ["VERCEL_OIDC_TOKEN"],
    });
  }
  if (mode === "web-identity-file" && observed.tokenFile) {
    const file = observed.tokenFile;
    if (file.state === "missing" || file.state === "unreadable") {
      add({
        code: `token-file-${file.state}`,
        severity: "error",
        message: `AWS_WEB_IDENTITY_TOKEN_FILE=${tokenFile} cannot be read: ${file.detail}.`,
        fix:
          file.state === "missing"
            ? "Point AWS_WEB_IDENTITY_TOKEN_FILE at the file your platform writes (the sandbox writes .sandbox/token), or start the sandbox with `pnpm sandbox`."
            : "Make the file readable by the user running the app (chmod 600 and the right owner).",
        variables: ["AWS_WEB_IDENTITY_TOKEN_FILE"],
      });
    } else if (file.state === "not-jwt") {
      add({
        code: "token-file-not-jwt",
        severity: "error",
        message: `AWS_WEB_IDENTITY_TOKEN_FILE=${tokenFile} does not hold a JWT.`,
        fix: "The file must contain only the identity token (three base64url parts separated by dots), no quotes or JSON.",
        variables: ["AWS_WEB_IDENTITY_TOKEN_FILE"],
      });
    } else if (file.state === "read" && file.token.expired) {
      add({
        code: "token-file-expired",
        severity: "warning",
        message: `The token in AWS_WEB_IDENTITY_TOKEN_FILE expired at ${file.token.expiresAt}.`,
        fix: "Whatever writes the file has stopped refreshing it (for the sandbox: restart `pnpm sandbox`).",
        variables: ["AWS_WEB_IDENTITY_TOKEN_FILE"],
      });
    }
  }

  // --- profile ------------------------------------------------------------------------------
  if (mode === "profile" && profile && observed.profiles) {
    if (!observed.profiles.names.includes(profile)) {
      const known = observed.profiles.names;
      add({
        code: "profile-missing",
        severity: "error",
        message: `AWS_PROFILE=${profile} is not defined in ${observed.profiles.files.join(" or ")}.`,
        fix: known.length
          ? `Use one of the profiles you have (${known.join(", ")}), or create it with \`aws configure sso --profile ${profile}\`.`
          : `Create it with \`aws configure sso --profile ${profile}\` (or \`aws configure --profile ${profile}\`).`,
        variables: ["AWS_PROFILE"],
      });
    }
  }

  const endpointVariables = Object.keys(env).filter(
    (name) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(name) && set(env[name]),
  );
  const remoteEndpoints = endpointVariables.filter((name) => !isLoopbackUrl(env[name] as string));
  if (onVercel && remoteEndpoints.length > 0) {
    // The OIDC token and every object would go to that host: never a silent choice.
    add({
      code: "endpoint-on-vercel",
      severity: "error",
      message: `${remoteEndpoints.join(", ")} ${remoteEndpoints.length === 1 ? "is" : "are"} set on Vercel: the OIDC token and all data would go to ${remoteEndpoints.map((name) => env[name]).join(", ")} instead of AWS.`,
      fix: `Delete ${remoteEndpoints.join(", ")} from the Vercel project's Environment Variables (\`pnpm vercel:env --apply\` does), then redeploy.`,
      variables: remoteEndpoints,
    });
  } else if (endpoint) {
    add({
      code: "endpoint-override",
      severity: "info",
      message: `AWS_ENDPOINT_URL=${endpoint}: every AWS call goes to this endpoint instead of AWS.`,
      fix: "Nothing to change when an emulator is meant (the Keyless sandbox sets it for `pnpm dev`). For real AWS, start without it: with the sandbox, put AWS_PROFILE in the repository-root .env and restart `pnpm dev`.",
      variables: ["AWS_ENDPOINT_URL"],
    });
  }
  for (const finding of audienceFindings(env, mode)) add(finding);
  if (mode === "none" && !roleArn && !onVercel) {
    add({
      code: "no-aws-configured",
      severity: "info",
      message: "No AWS credentials are configured.",
      fix: "Run `pnpm dev` with nothing set to use the local sandbox, set AWS_PROFILE to a named profile, or deploy the stack and set AWS_ROLE_ARN on Vercel.",
      variables: ["AWS_PROFILE", "AWS_ROLE_ARN"],
    });
  }

  return {
    mode,
    because,
    onVercel,
    vercelEnv: vercelEnvironmentName(env),
    region,
    roleArn,
    profile,
    tokenFile,
    endpoint,
    stsEndpoint: set(env.AWS_ENDPOINT_URL_STS) ? env.AWS_ENDPOINT_URL_STS : endpoint,
    profileFiles: {
      ...(set(env.AWS_CONFIG_FILE) ? { config: env.AWS_CONFIG_FILE } : {}),
      ...(set(env.AWS_SHARED_CREDENTIALS_FILE)
        ? { credentials: env.AWS_SHARED_CREDENTIALS_FILE }
        : {}),
    },
    sessionName: sessionNameFor(env, onVercel),
    audience: mode === "vercel-oidc" ? customAudience(env) : undefined,
    findings,
  };
}

/** Loopback endpoints (the sandbox, the local Vercel harness): nothing leaves the machine. */
function isLoopbackUrl(value: string): boolean {
  try {
    const host = new URL(value).hostname;
    return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

export function hasBlockingFindings(resolution: Pick<CredentialResolution, "findings">): boolean {
  return resolution.findings.some((f) => f.severity === "error");
}

/** Where an app's `.env*` files are looked for (default: the process's folder and its parents). */
export interface ObserveOptions {
  /** The app's folder. */
  envDir?: string;
  /** File names in findings are relative to this folder (default: envDir). */
  displayFrom?: string;
}

/** Reads the few files the decision depends on. Never keeps a token: only its summary. */
export function observeEnvironment(
  env: EnvLike,
  now: number = Date.now(),
  options: ObserveOptions = {},
): Observations {
  const observed: Observations = { now };
  const onVercel = env.VERCEL === "1";
  const buildRegion = env.KEYLESS_BUILD_AWS_REGION ?? capturedBuildRegion();
  if (!onVercel) {
    const folders = envFileFolders(options.envDir ?? /* turbopackIgnore: true */ process.cwd());
    const files = observeTokenFiles(
      env.VERCEL_OIDC_TOKEN,
      folders,
      now,
      env.NODE_ENV,
      options.displayFrom,
    );
    if (files.length) observed.tokenFiles = files;
  }
  if (buildRegion !== undefined) observed.buildRegion = buildRegion;
  if (set(env.AWS_PROFILE) && !onVercel) observed.profiles = readProfiles(env);
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (set(tokenFile) && !onVercel) {
    let content: string | undefined;
    try {
      content = readFileSync(/* turbopackIgnore: true */ tokenFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      observed.tokenFile =
        code === "ENOENT"
          ? { state: "missing", detail: "no such file" }
          : { state: "unreadable", detail: code ?? "read failed" };
    }
    if (content !== undefined) {
      try {
        observed.tokenFile = { state: "read", token: summarizeToken(content, now) };
      } catch {
        observed.tokenFile = { state: "not-jwt" };
      }
    }
  }
  return observed;
}

/** Diagnoses the environment of this process (or the one given). */
export function diagnose(
  env: EnvLike = process.env,
  options?: ObserveOptions,
): CredentialResolution {
  return resolveCredentialMode(env, observeEnvironment(env, Date.now(), options));
}

// The SDK's own ini parser is internal to its packages; reading section headers is all we need
// to tell "this profile does not exist" apart before the SDK fails with a vaguer message.
function readProfiles(env: EnvLike): NonNullable<Observations["profiles"]> {
  const home = env.HOME ?? homedir();
  const configFile = env.AWS_CONFIG_FILE ?? join(home, ".aws", "config");
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, ".aws", "credentials");
  const names = new Set<string>();
  const regions: Record<string, string> = {};
  for (const [file, isConfig] of [
    [configFile, true],
    [credentialsFile, false],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(/* turbopackIgnore: true */ file, "utf8");
    } catch {
      continue;
    }
    let current: string | undefined;
    for (const line of text.split(/\r?\n/)) {
      const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
      if (header?.[1]) {
        const raw = header[1];
        current = isConfig ? (raw === "default" ? "default" : raw.replace(/^profile\s+/, "")) : raw;
        if (isConfig && !/^profile\s+/.test(raw) && raw !== "default") current = undefined;
        if (current) names.add(current);
        continue;
      }
      const region = /^\s*region\s*=\s*(\S+)/.exec(line);
      if (current && region?.[1] && !regions[current]) regions[current] = region[1];
    }
  }
  return { names: [...names].sort(), files: [configFile, credentialsFile], regions };
}
