// The shapes the package's modules share: the environment, the decision and its findings, and
// what is known about a token. A module of their own, so the modules that decide (mode.ts) and
// the ones they use (tokens, audiences, session names) import these without importing each other.

export interface TokenSummary {
  iss?: string;
  aud?: string | string[];
  sub?: string;
  environment?: string;
  project?: string;
  owner?: string;
  alg?: string;
  issuedAt?: string;
  expiresAt?: string;
  expired: boolean;
}

export interface TokenFile {
  /** Path relative to the current directory. */
  file: string;
  expiresAt?: string;
  expired: boolean;
  notJwt?: boolean;
  /** True when this file's value is the VERCEL_OIDC_TOKEN of the process environment. */
  matchesEnv: boolean;
}

export type EnvLike = Readonly<Record<string, string | undefined>>;

export type CredentialMode = "vercel-oidc" | "web-identity-file" | "profile" | "none";

export type Severity = "error" | "warning" | "info";

/** Something about the environment worth telling the user, with what to do about it. */
export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  fix: string;
  variables: string[];
}

export interface CredentialResolution {
  mode: CredentialMode;
  /** Sentences naming the variables that decided the mode. */
  because: string[];
  onVercel: boolean;
  /** VERCEL_TARGET_ENV (a custom environment's name) where Vercel sets it, else VERCEL_ENV. */
  vercelEnv: string | undefined;
  region: string | undefined;
  roleArn: string | undefined;
  profile: string | undefined;
  tokenFile: string | undefined;
  /** AWS_ENDPOINT_URL: every client talks to this endpoint (the sandbox) instead of AWS. */
  endpoint: string | undefined;
  /** Where the inner STS calls go: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL. */
  stsEndpoint: string | undefined;
  /** AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE when they move the profile files. */
  profileFiles: { config?: string; credentials?: string };
  sessionName: string;
  /** VERCEL_OIDC_AUDIENCE: the token is exchanged for this `aud` (vercel-oidc mode only). */
  audience: string | undefined;
  findings: Finding[];
}

/** Facts about files, gathered by `observeEnvironment` so that the decision itself stays pure. */
export interface Observations {
  now?: number;
  /** `.env*` files defining VERCEL_OIDC_TOKEN, in the app's order (local development only). */
  tokenFiles?: TokenFile[];
  /** AWS_REGION as the project set it at build time ("" = unset); see build-env.ts. */
  buildRegion?: string;
  /** Profiles named in the shared config/credentials files; undefined when they were not read. */
  profiles?: { names: string[]; files: string[]; regions: Record<string, string> };
  /** The web identity token file, when one is configured. */
  tokenFile?:
    | { state: "missing" | "unreadable"; detail: string }
    | { state: "read"; token: TokenSummary }
    | { state: "not-jwt" };
}
