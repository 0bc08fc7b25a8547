// Bad configuration, one row per kind: each gives its own finding (app side, @repo/aws-auth) or
// its own problem (infra side, @repo/infra/config), naming the variable and carrying a fix.

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CredentialResolution, diagnose, hasBlockingFindings } from "@repo/aws-auth/mode";
import { resolveForProvider } from "@repo/aws-auth/provider";
import {
  type Validated,
  validateEnvironments,
  validateIssuerMode,
  validateProjectName,
  validateRegion,
  validateTeamSlug,
} from "@repo/infra/config";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROLE = "arn:aws:iam::123456789012:role/KeylessProduction";
let dir: string;
const files: Record<string, string> = {};

async function jwt(expiresInSeconds: number): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ environment: "development" })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer("https://oidc.vercel.com/acme")
    .setAudience("https://vercel.com/acme")
    .setSubject("owner:acme:project:web:environment:development")
    .setIssuedAt(now - 7200)
    .setExpirationTime(now + expiresInSeconds)
    .sign(privateKey);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyless-bad-config-"));
  files.awsConfig = join(dir, "config");
  await writeFile(files.awsConfig, "[profile dev]\nregion = us-east-1\n[profile staging]\n");
  files.noCredentials = join(dir, "credentials-none");
  files.notJwt = join(dir, "token-not-jwt");
  await writeFile(files.notJwt, '{"token": "pasted by hand"}');
  // A directory where a file should be: reading it fails with EISDIR (as root, chmod 000 would not).
  files.unreadable = join(dir, "token-dir");
  await mkdir(files.unreadable);
  files.missing = join(dir, "no-such-token");
  files.expiredToken = await jwt(-3600);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface AppCase {
  kind: string;
  env: () => Record<string, string>;
  code: string;
  severity: "error" | "warning";
  /** The message names what is wrong. */
  message: RegExp;
}

const vercelBuild = { VERCEL: "1", VERCEL_ENV: "production", AWS_REGION: "us-east-1" };
const sandboxFile = (tokenFile: string) => ({
  AWS_ROLE_ARN: ROLE,
  AWS_REGION: "us-east-1",
  AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
});

const APP_CASES: AppCase[] = [
  {
    kind: "malformed role ARN",
    env: () => ({ ...vercelBuild, AWS_ROLE_ARN: "arn:aws:iam::1234:role/KeylessProduction" }),
    code: "role-arn-malformed",
    severity: "error",
    message: /AWS_ROLE_ARN is not a role ARN/,
  },
  {
    kind: "region name instead of a region code",
    env: () => ({ ...vercelBuild, AWS_ROLE_ARN: ROLE, AWS_REGION: "N. Virginia" }),
    code: "region-malformed",
    severity: "error",
    message: /AWS_REGION="N\. Virginia" is not a region name/,
  },
  {
    kind: "unknown region",
    env: () => ({ ...vercelBuild, AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-9" }),
    code: "region-unknown",
    severity: "warning",
    message: /us-east-9/,
  },
  {
    kind: "missing region",
    env: () => ({ VERCEL: "1", AWS_ROLE_ARN: ROLE }),
    code: "region-missing",
    severity: "error",
    message: /AWS_REGION is not set/,
  },
  {
    kind: "role + static keys on Vercel",
    env: () => ({
      ...vercelBuild,
      AWS_ROLE_ARN: ROLE,
      AWS_ACCESS_KEY_ID: "placeholder-id",
      AWS_SECRET_ACCESS_KEY: "placeholder-secret",
    }),
    code: "role-with-static-keys",
    severity: "warning",
    message: /AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY are set together with AWS_ROLE_ARN/,
  },
  {
    kind: "hand-set token file on Vercel",
    env: () => ({ ...vercelBuild, AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: "/var/token" }),
    code: "token-file-on-vercel",
    severity: "error",
    message: /AWS_WEB_IDENTITY_TOKEN_FILE is set on Vercel/,
  },
  {
    kind: "role missing on Vercel",
    env: () => ({ ...vercelBuild }),
    code: "role-missing-on-vercel",
    severity: "error",
    message: /AWS_ROLE_ARN is not set on Vercel/,
  },
  {
    kind: "role locally with no token",
    env: () => ({ AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" }),
    code: "role-without-token",
    severity: "error",
    message: /no OIDC token outside Vercel/,
  },
  {
    kind: "missing profile",
    env: () => ({
      AWS_PROFILE: "prod",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: files.awsConfig as string,
      AWS_SHARED_CREDENTIALS_FILE: files.noCredentials as string,
    }),
    code: "profile-missing",
    severity: "error",
    message: /AWS_PROFILE=prod is not defined/,
  },
  {
    kind: "unreadable token file",
    env: () => sandboxFile(files.unreadable as string),
    code: "token-file-unreadable",
    severity: "error",
    message: /cannot be read: EISDIR/,
  },
  {
    kind: "missing token file",
    env: () => sandboxFile(files.missing as string),
    code: "token-file-missing",
    severity: "error",
    message: /cannot be read: no such file/,
  },
  {
    kind: "non-JWT token file",
    env: () => sandboxFile(files.notJwt as string),
    code: "token-file-not-jwt",
    severity: "error",
    message: /does not hold a JWT/,
  },
  {
    kind: "non-JWT VERCEL_OIDC_TOKEN",
    env: () => ({ AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1", VERCEL_OIDC_TOKEN: "abc.def" }),
    code: "vercel-token-not-jwt",
    severity: "error",
    message: /VERCEL_OIDC_TOKEN is not a JWT/,
  },
  {
    // With the app's refresh through Vercel's helper off (in development it is on, and the
    // finding a warning: packages/aws-auth/test/local-refresh.test.ts).
    kind: "expired development token, no refresh",
    env: () => ({
      AWS_ROLE_ARN: ROLE,
      AWS_REGION: "us-east-1",
      VERCEL_OIDC_TOKEN: files.expiredToken as string,
      KEYLESS_VERCEL_TOKEN_REFRESH: "off",
    }),
    code: "vercel-token-expired",
    severity: "error",
    message: /VERCEL_OIDC_TOKEN expired at \d{4}-/,
  },
  {
    kind: "profile on Vercel",
    env: () => ({ ...vercelBuild, AWS_PROFILE: "dev" }),
    code: "profile-on-vercel",
    severity: "error",
    message: /AWS_PROFILE is set on Vercel/,
  },
];

function findingOf(resolution: CredentialResolution, code: string) {
  const finding = resolution.findings.find((f) => f.code === code);
  if (!finding) {
    throw new Error(
      `no ${code} finding; got ${resolution.findings.map((f) => f.code).join(", ") || "none"}`,
    );
  }
  return finding;
}

describe("app configuration (aws-auth diagnose)", () => {
  it.each(APP_CASES)("$kind → $code", ({ env, code, severity, message }) => {
    const resolution = diagnose(env());
    const finding = findingOf(resolution, code);
    expect(finding.severity).toBe(severity);
    expect(finding.message).toMatch(message);
    expect(finding.fix.length).toBeGreaterThan(20);
    expect(finding.variables.length).toBeGreaterThan(0);
    if (severity === "error") {
      // The provider refuses to start and says why, with the finding's fix.
      expect(hasBlockingFindings(resolution)).toBe(true);
      expect(() => resolveForProvider(env())).toThrow(message);
    }
  });

  it("every kind gives a different finding", () => {
    expect(new Set(APP_CASES.map((c) => c.code)).size).toBe(APP_CASES.length);
  });
});

interface InfraCase {
  kind: string;
  validate: () => Validated<unknown>;
  variable: string;
  message: RegExp;
}

const INFRA_CASES: InfraCase[] = [
  {
    kind: "team slug with capitals",
    validate: () => validateTeamSlug("Acme"),
    variable: "VERCEL_TEAM_SLUG",
    message: /"Acme" has capital letters.*try "acme"/,
  },
  {
    kind: "team id where the slug goes",
    validate: () => validateTeamSlug("team_abc123"),
    variable: "VERCEL_TEAM_SLUG",
    message: /is a team id/,
  },
  {
    kind: "project name with capitals",
    validate: () => validateProjectName("Web"),
    variable: "VERCEL_PROJECT_NAME",
    message: /"Web" has capital letters/,
  },
  {
    kind: "environments list with a typo",
    validate: () => validateEnvironments("production,prevew"),
    variable: "VERCEL_ENVIRONMENTS",
    message: /"prevew" is not a Vercel environment; allowed: production, preview, development/,
  },
  {
    kind: "environment in capitals",
    validate: () => validateEnvironments("Production"),
    variable: "VERCEL_ENVIRONMENTS",
    message: /write it "production"/,
  },
  {
    kind: "issuer mode typo",
    validate: () => validateIssuerMode("teams"),
    variable: "VERCEL_ISSUER_MODE",
    message: /must be "team".*or "global"/,
  },
  {
    kind: "stack region not a region",
    validate: () => validateRegion("Frankfurt"),
    variable: "AWS_REGION",
    message: /"Frankfurt" is not an AWS region name/,
  },
];

describe("infra configuration (validators)", () => {
  it.each(INFRA_CASES)("$kind → $variable", ({ validate, variable, message }) => {
    const result = validate();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem.variable).toBe(variable);
    expect(result.problem.message).toMatch(message);
  });
});
