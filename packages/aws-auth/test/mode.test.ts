import { describe, expect, it } from "vitest";
import { type EnvLike, type Observations, resolveCredentialMode } from "../src/mode";
import { sanitizeSessionName, sessionNameFor } from "../src/session-name";
import { createIssuer } from "./helpers/issuer";

const ROLE = "arn:aws:iam::123456789012:role/KeylessProduction";
const issuer = await createIssuer();
const liveToken = await issuer.mint();
const expiredToken = await issuer.mint({ issuedAt: 1_000_000, lifetimeSeconds: 60 });
const NOW = Date.now();

interface Row {
  name: string;
  env: EnvLike;
  observed?: Observations;
  mode: string;
  findings?: string[];
  absent?: string[];
}

const rows: Row[] = [
  { name: "nothing configured", env: {}, mode: "none", findings: ["no-aws-configured"] },
  {
    name: "on Vercel with a role",
    env: { VERCEL: "1", VERCEL_ENV: "production", AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    mode: "vercel-oidc",
  },
  {
    name: "local development token from vercel env pull",
    env: { VERCEL_OIDC_TOKEN: liveToken, AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    observed: { now: NOW },
    mode: "vercel-oidc",
    absent: ["vercel-token-expired"],
  },
  {
    name: "expired development token",
    env: { VERCEL_OIDC_TOKEN: expiredToken, AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    observed: { now: NOW },
    mode: "vercel-oidc",
    findings: ["vercel-token-expired"],
  },
  {
    name: "VERCEL_OIDC_TOKEN that is not a JWT",
    env: { VERCEL_OIDC_TOKEN: "not-a-token", AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    mode: "vercel-oidc",
    findings: ["vercel-token-not-jwt"],
  },
  {
    name: "token file off Vercel",
    env: { AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: "/tmp/t", AWS_REGION: "eu-west-1" },
    observed: { tokenFile: { state: "read", token: { expired: false } } },
    mode: "web-identity-file",
  },
  {
    name: "token file missing",
    env: { AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: "/nope", AWS_REGION: "eu-west-1" },
    observed: { tokenFile: { state: "missing", detail: "no such file" } },
    mode: "web-identity-file",
    findings: ["token-file-missing"],
  },
  {
    name: "token file unreadable",
    env: { AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: "/root/t", AWS_REGION: "eu-west-1" },
    observed: { tokenFile: { state: "unreadable", detail: "EACCES" } },
    mode: "web-identity-file",
    findings: ["token-file-unreadable"],
  },
  {
    name: "token file holding something else",
    env: { AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: "/tmp/t", AWS_REGION: "eu-west-1" },
    observed: { tokenFile: { state: "not-jwt" } },
    mode: "web-identity-file",
    findings: ["token-file-not-jwt"],
  },
  {
    name: "hand-set token file on Vercel",
    env: {
      VERCEL: "1",
      AWS_ROLE_ARN: ROLE,
      AWS_REGION: "us-east-1",
      AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/token",
    },
    mode: "vercel-oidc",
    findings: ["token-file-on-vercel"],
  },
  {
    name: "named profile locally",
    env: { AWS_PROFILE: "dev", AWS_REGION: "us-west-2" },
    observed: { profiles: { names: ["dev"], files: ["~/.aws/config"], regions: {} } },
    mode: "profile",
  },
  {
    name: "profile takes its region from ~/.aws/config",
    env: { AWS_PROFILE: "dev" },
    observed: {
      profiles: { names: ["dev"], files: ["~/.aws/config"], regions: { dev: "eu-central-1" } },
    },
    mode: "profile",
    absent: ["region-missing"],
  },
  {
    name: "profile absent from ~/.aws",
    env: { AWS_PROFILE: "ghost", AWS_REGION: "us-west-2" },
    observed: { profiles: { names: ["dev"], files: ["~/.aws/config"], regions: {} } },
    mode: "profile",
    findings: ["profile-missing"],
  },
  {
    name: "role and profile locally without a token: profile wins",
    env: { AWS_PROFILE: "dev", AWS_ROLE_ARN: ROLE, AWS_REGION: "us-west-2" },
    mode: "profile",
  },
  {
    name: "role without any token locally",
    env: { AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    mode: "none",
    findings: ["role-without-token"],
  },
  {
    name: "profile on Vercel without a role",
    env: { VERCEL: "1", AWS_PROFILE: "dev", AWS_REGION: "us-east-1" },
    mode: "none",
    findings: ["profile-on-vercel", "role-missing-on-vercel"],
  },
  {
    name: "profile next to a role on Vercel",
    env: { VERCEL: "1", AWS_PROFILE: "dev", AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    mode: "vercel-oidc",
    findings: ["profile-on-vercel"],
  },
  {
    name: "role + user's static keys at build time on Vercel",
    env: {
      VERCEL: "1",
      AWS_ROLE_ARN: ROLE,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "x",
      VERCEL_OIDC_TOKEN: liveToken,
    },
    mode: "vercel-oidc",
    findings: ["role-with-static-keys"],
  },
  {
    name: "Vercel's own injected keys in a function are ignored, not blamed",
    env: {
      VERCEL: "1",
      VERCEL_REGION: "iad1",
      AWS_ROLE_ARN: ROLE,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "ASIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "x",
    },
    mode: "vercel-oidc",
    findings: ["static-keys-ignored"],
    absent: ["role-with-static-keys"],
  },
  {
    name: "OIDC federation off: no token at build",
    env: { VERCEL: "1", AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
    mode: "vercel-oidc",
    findings: ["oidc-token-missing-at-build"],
  },
  {
    name: "region missing",
    env: { VERCEL: "1", AWS_ROLE_ARN: ROLE, VERCEL_REGION: "iad1" },
    mode: "vercel-oidc",
    findings: ["region-missing"],
  },
  {
    name: "region that is an availability zone",
    env: { AWS_PROFILE: "dev", AWS_REGION: "us-east-1a" },
    mode: "profile",
    findings: ["region-malformed"],
  },
  {
    name: "region nobody has heard of",
    env: { AWS_PROFILE: "dev", AWS_REGION: "us-east-9" },
    mode: "profile",
    findings: ["region-unknown"],
  },
  {
    name: "malformed role ARN",
    env: { VERCEL: "1", AWS_ROLE_ARN: "arn:aws:iam::12345:role/x", AWS_REGION: "us-east-1" },
    mode: "vercel-oidc",
    findings: ["role-arn-malformed"],
  },
  {
    name: "endpoint override (the sandbox)",
    env: { AWS_PROFILE: "dev", AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://127.0.0.1:4566" },
    mode: "profile",
    findings: ["endpoint-override"],
  },
  {
    name: "an AWS endpoint on Vercel that leaves the machine (the token would go there)",
    env: {
      VERCEL: "1",
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/keyless",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: "https://sts.attacker.example",
    },
    mode: "vercel-oidc",
    findings: ["endpoint-on-vercel"],
  },
  {
    name: "a loopback endpoint on Vercel's function environment (the local harness)",
    env: {
      VERCEL: "1",
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/keyless",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
    },
    mode: "vercel-oidc",
    findings: ["endpoint-override"],
  },
];

describe("resolveCredentialMode", () => {
  it.each(rows)("$name → $mode", (row) => {
    const result = resolveCredentialMode(row.env, row.observed);
    expect(result.mode).toBe(row.mode);
    const codes = result.findings.map((f) => f.code);
    for (const code of row.findings ?? []) expect(codes).toContain(code);
    for (const code of row.absent ?? []) expect(codes).not.toContain(code);
    expect(result.because.length).toBeGreaterThan(0);
    for (const f of result.findings) {
      expect(f.message.length).toBeGreaterThan(10);
      expect(f.fix.length).toBeGreaterThan(10);
    }
  });

  it("is pure: the same input gives the same answer and the input is untouched", () => {
    const env = Object.freeze({ VERCEL: "1", AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" });
    expect(resolveCredentialMode(env)).toEqual(resolveCredentialMode(env));
  });

  it("names the bad part of a malformed role ARN", () => {
    const cases: [string, RegExp][] = [
      ["arn:aws:iam::12345:role/x", /account id "12345" must be exactly 12 digits/],
      ["arn:aws:iam:us-east-1:123456789012:role/x", /no region/],
      ["arn:aws:iam::123456789012:user/x", /must start with "role\/"/],
      ["arn:aws:s3::123456789012:role/x", /service is "s3"/],
      ["arn:aws:iam::123456789012", /6/],
      ["arn:aws:iam::123456789012:role/bad name", /role name "bad name"/],
    ];
    for (const [arn, problem] of cases) {
      const r = resolveCredentialMode({ VERCEL: "1", AWS_ROLE_ARN: arn, AWS_REGION: "us-east-1" });
      const finding = r.findings.find((f) => f.code === "role-arn-malformed");
      expect(finding?.message, arn).toMatch(problem);
    }
  });

  it("never puts a token into findings or reasons", () => {
    const r = resolveCredentialMode(
      { VERCEL_OIDC_TOKEN: expiredToken, AWS_ROLE_ARN: ROLE, AWS_REGION: "us-east-1" },
      { now: NOW },
    );
    expect(JSON.stringify(r)).not.toContain(expiredToken.split(".")[1]);
  });
});

describe("role session names", () => {
  it("name the Vercel deployment", () => {
    expect(sessionNameFor({ VERCEL_ENV: "preview", VERCEL_DEPLOYMENT_ID: "dpl_8xYz" }, true)).toBe(
      "vercel-preview-dpl_8xYz",
    );
    expect(
      sessionNameFor(
        { VERCEL_ENV: "production", VERCEL_GIT_COMMIT_SHA: "0123456789abcdef0123" },
        true,
      ),
    ).toBe("vercel-production-0123456789ab");
  });

  it("name a custom environment by VERCEL_TARGET_ENV, where VERCEL_ENV says preview", () => {
    const env = {
      VERCEL: "1",
      VERCEL_ENV: "preview",
      VERCEL_TARGET_ENV: "staging",
      VERCEL_DEPLOYMENT_ID: "dpl_8xYz",
      AWS_ROLE_ARN: ROLE,
      AWS_REGION: "us-east-1",
    };
    expect(sessionNameFor(env, true)).toBe("vercel-staging-dpl_8xYz");
    const resolution = resolveCredentialMode(env);
    expect(resolution.vercelEnv).toBe("staging");
    expect(resolution.sessionName).toBe("vercel-staging-dpl_8xYz");
  });

  it("are sanitized to 2–64 characters of [\\w+=,.@-]", () => {
    const name = sanitizeSessionName(`x/${"é".repeat(10)} ${"a".repeat(100)}`);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(sanitizeSessionName("a")).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(sessionNameFor({ AWS_ROLE_SESSION_NAME: "my session" }, false)).toBe("my-session");
  });
});

describe("Vercel's preset AWS_REGION", () => {
  const runtime = {
    VERCEL: "1",
    VERCEL_ENV: "production",
    VERCEL_REGION: "sfo1",
    AWS_LAMBDA_FUNCTION_NAME: "index",
    AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessProduction",
    AWS_REGION: "us-west-1",
  };
  const codes = (env: Record<string, string>, buildRegion?: string) =>
    resolveCredentialMode(env, buildRegion === undefined ? {} : { buildRegion }).findings.map(
      (f) => f.code,
    );

  it("is an error in a function when the build had no AWS_REGION", () => {
    const finding = resolveCredentialMode(runtime, { buildRegion: "" }).findings.find(
      (f) => f.code === "region-vercel-preset",
    );
    expect(finding?.severity).toBe("error");
    expect(finding?.message).toContain(
      "AWS_REGION=us-west-1 is Vercel's preset for the function region sfo1",
    );
    expect(finding?.fix).toContain("pnpm vercel:env");
    expect(finding?.fix).toContain("`pnpm verify` never looks");
  });

  it("is not reported when the project set AWS_REGION, or when the build region is unknown", () => {
    expect(codes(runtime, "us-east-1")).not.toContain("region-vercel-preset");
    expect(codes(runtime)).not.toContain("region-vercel-preset");
  });

  it("is not reported at build time, where the missing region is its own finding with the same reason", () => {
    const build = { ...runtime, AWS_LAMBDA_FUNCTION_NAME: "", VERCEL_REGION: "", AWS_REGION: "" };
    const found = resolveCredentialMode(build, { buildRegion: "" }).findings;
    expect(found.map((f) => f.code)).toEqual(expect.arrayContaining(["region-missing"]));
    expect(found.map((f) => f.code)).not.toContain("region-vercel-preset");
    expect(found.find((f) => f.code === "region-missing")?.fix).toContain(
      "Vercel's preset AWS_REGION",
    );
  });
});
