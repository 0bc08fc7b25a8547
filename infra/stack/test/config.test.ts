import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type InfraConfigError,
  loadInfraConfig,
  readInfraEnv,
  validateEnvironments,
  validateIssuerMode,
  validateProjectName,
  validateProviderArn,
  validateRegion,
  validateStackName,
  validateTeamSlug,
} from "../src/config";
import { vercelIssuer } from "../src/vercel-naming";
import { problemsOf } from "./helpers/config-problems";
import { SAMPLE_CONFIG } from "./helpers/sample-config";

const SAMPLE = SAMPLE_CONFIG;

describe("loadInfraConfig", () => {
  it("derives issuer, audience and one sub per environment from the sample values", () => {
    const config = loadInfraConfig({ ...SAMPLE, VERCEL_ENVIRONMENTS: "production,preview" });
    expect(config).toMatchObject({
      teamSlug: "acme",
      projectName: "web",
      issuerMode: "team",
      issuerUrl: "https://oidc.vercel.com/acme",
      issuerHostPath: "oidc.vercel.com/acme",
      audience: "https://vercel.com/acme",
      environments: ["production", "preview"],
      region: "us-east-1",
      stackName: "KeylessVercelOidc",
      subjects: {
        production: "owner:acme:project:web:environment:production",
        preview: "owner:acme:project:web:environment:preview",
      },
      warnings: [],
    });
  });

  it("a custom environment gets its own sub; bad or colliding names are one line each", () => {
    const config = loadInfraConfig({
      ...SAMPLE,
      VERCEL_ENVIRONMENTS: "production,preview,staging",
    });
    expect(config.environments).toEqual(["production", "preview", "staging"]);
    expect(config.subjects.staging).toBe("owner:acme:project:web:environment:staging");
    expect(problemsOf({ ...SAMPLE, VERCEL_ENVIRONMENTS: "production,Staging" })).toEqual([
      { variable: "VERCEL_ENVIRONMENTS", message: expect.stringMatching(/try "staging"$/) },
    ]);
    expect(problemsOf({ ...SAMPLE, VERCEL_ENVIRONMENTS: "qa-1,qa1" })).toEqual([
      {
        variable: "VERCEL_ENVIRONMENTS",
        message: '"qa-1" and "qa1" give the same role name (Qa1); keep one',
      },
    ]);
  });

  it("defaults to production only, team mode", () => {
    const config = loadInfraConfig(SAMPLE);
    expect(config.environments).toEqual(["production"]);
    expect(config.issuerMode).toBe("team");
    expect(config.existingProviderArn).toBeUndefined();
  });

  it("global mode keeps the team audience but drops the slug from the issuer", () => {
    const config = loadInfraConfig({ ...SAMPLE, VERCEL_ISSUER_MODE: "global" });
    expect(config.issuerUrl).toBe("https://oidc.vercel.com");
    expect(config.audience).toBe("https://vercel.com/acme");
  });

  it("says which variable is missing and where Vercel shows it", () => {
    const problems = problemsOf({ AWS_REGION: "us-east-1" });
    expect(problems.map((p) => p.variable)).toEqual(["VERCEL_TEAM_SLUG", "VERCEL_PROJECT_NAME"]);
    expect(problems[0]?.message).toContain("Team Settings → General → Team URL");
    expect(problems[1]?.message).toContain("Settings → General → Project Name");
  });

  it("reports every problem at once, in a message that names each variable", () => {
    const error = (() => {
      try {
        loadInfraConfig({
          VERCEL_TEAM_SLUG: "Acme",
          VERCEL_PROJECT_NAME: "web",
          VERCEL_ENVIRONMENTS: "production,Staging",
          VERCEL_ISSUER_MODE: "teams",
          AWS_REGION: "us-east",
          VERCEL_TEAM_ID: "acme",
          VERCEL_PROJECT_ID: "web",
          KEYLESS_STACK_NAME: "1stack",
          AWS_PROFILE: "my profile",
        });
      } catch (e) {
        return e as InfraConfigError;
      }
    })();
    expect(error?.name).toBe("InfraConfigError");
    expect(error?.problems.map((p) => p.variable)).toEqual([
      "VERCEL_TEAM_SLUG",
      "VERCEL_TEAM_ID",
      "VERCEL_PROJECT_ID",
      "VERCEL_ENVIRONMENTS",
      "VERCEL_ISSUER_MODE",
      "AWS_REGION",
      "AWS_PROFILE",
      "KEYLESS_STACK_NAME",
    ]);
    expect(error?.message).toContain("8 problems");
    for (const variable of ["VERCEL_TEAM_SLUG", "VERCEL_ENVIRONMENTS", "AWS_REGION"]) {
      expect(error?.message).toContain(`${variable}:`);
    }
  });

  it("accepts an existing provider only when its URL is the issuer's", () => {
    const arn = "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/acme";
    expect(loadInfraConfig({ ...SAMPLE, OIDC_PROVIDER_ARN: arn }).existingProviderArn).toBe(arn);
    const [wrongTeam] = problemsOf({
      ...SAMPLE,
      OIDC_PROVIDER_ARN: "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/other",
    });
    expect(wrongTeam?.variable).toBe("OIDC_PROVIDER_ARN");
    expect(wrongTeam?.message).toContain("https://oidc.vercel.com/acme");
    const [globalProvider] = problemsOf({ ...SAMPLE, OIDC_PROVIDER_ARN: arn.replace("/acme", "") });
    expect(globalProvider?.message).toContain("team mode needs");
    const [notAnArn] = problemsOf({ ...SAMPLE, OIDC_PROVIDER_ARN: "oidc.vercel.com/acme" });
    expect(notAnArn?.message).toContain("not an OIDC provider ARN");
  });

  it("warns strongly when development is trusted", () => {
    const config = loadInfraConfig({ ...SAMPLE, VERCEL_ENVIRONMENTS: "production,development" });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain("vercel env pull");
  });
});

describe("validators (reused by the setup wizard)", () => {
  it.each([
    ["acme", true],
    ["acme-corp-2", true],
    ["Acme", "capital letters"],
    ["team_abc123", "team id"],
    ["acme_corp", "lower-case letters, digits and single hyphens"],
    ["-acme", "lower-case letters, digits and single hyphens"],
    ["", "missing"],
  ])("team slug %j", (slug, expected) => {
    const result = validateTeamSlug(slug);
    if (expected === true) expect(result).toEqual({ ok: true, value: slug, warning: undefined });
    else expect(result.ok ? "" : result.problem.message).toContain(expected);
  });

  it.each([
    ["web", true],
    ["my.app_v2-x", true],
    ["Web", "capital letters"],
    ["prj_abc", "project id"],
    ["web---app", 'no "---"'],
    ["web app", "lower-case letters"],
    ["a".repeat(101), "1-100"],
  ])("project name %j", (name, expected) => {
    const result = validateProjectName(name);
    if (expected === true) expect(result.ok).toBe(true);
    else expect(result.ok ? "" : result.problem.message).toContain(expected);
  });

  it("environments: a typo names the bad item and the allowed ones", () => {
    const result = validateEnvironments("production,prevew");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem.message).toContain('"prevew"');
      expect(result.problem.message).toContain("production, preview, development");
    }
    const capital = validateEnvironments("Production");
    expect(capital.ok ? "" : capital.problem.message).toContain('write it "production"');
    const twice = validateEnvironments("preview, preview");
    expect(twice.ok ? "" : twice.problem.message).toContain("twice");
    expect(validateEnvironments(" preview , production ")).toMatchObject({
      ok: true,
      value: ["preview", "production"],
    });
  });

  it("issuer mode, region, stack name", () => {
    expect(validateIssuerMode(undefined)).toMatchObject({ ok: true, value: "team" });
    expect(validateIssuerMode("global")).toMatchObject({ ok: true, value: "global" });
    expect(validateIssuerMode("Team").ok).toBe(false);
    for (const region of ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-7"]) {
      expect(validateRegion(region).ok).toBe(true);
    }
    for (const region of ["us-east", "US-EAST-1", "useast1"]) {
      expect(validateRegion(region).ok).toBe(false);
    }
    expect(validateStackName(undefined)).toMatchObject({ value: "KeylessVercelOidc" });
    expect(validateStackName("my_stack").ok).toBe(false);
  });

  it("provider ARN alone checks the shape; with the issuer, the URL", () => {
    const arn = "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com";
    expect(validateProviderArn(arn).ok).toBe(true);
    expect(validateProviderArn("arn:aws:iam::1111:oidc-provider/x").ok).toBe(false);
    expect(
      validateProviderArn(arn, vercelIssuer({ teamSlug: "acme", issuerMode: "global" })).ok,
    ).toBe(true);
    expect(validateProviderArn(arn, vercelIssuer({ teamSlug: "acme" })).ok).toBe(false);
  });
});

describe("readInfraEnv", () => {
  let dir: string | undefined;
  afterEach(() => {
    vi.unstubAllEnvs();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads the .env file under the process environment, which wins", () => {
    dir = mkdtempSync(join(tmpdir(), "keyless-env-"));
    const file = join(dir, ".env");
    writeFileSync(file, "VERCEL_TEAM_SLUG=from-file\nVERCEL_PROJECT_NAME=web # comment\n");
    vi.stubEnv("VERCEL_TEAM_SLUG", "from-process");
    vi.stubEnv("VERCEL_PROJECT_NAME", undefined);
    const env = readInfraEnv(file);
    expect(env.VERCEL_TEAM_SLUG).toBe("from-process");
    expect(env.VERCEL_PROJECT_NAME).toBe("web");
  });

  it("works without a .env file", () => {
    vi.stubEnv("VERCEL_TEAM_SLUG", "acme");
    expect(readInfraEnv("/nonexistent/.env").VERCEL_TEAM_SLUG).toBe("acme");
  });
});

describe(".env.example carries no team or project anyone could own", () => {
  const example = parseDotenv(readFileSync(new URL("../../../.env.example", import.meta.url)));

  it("ships them empty, and deploying from it is refused with the fix", () => {
    expect(example.VERCEL_TEAM_SLUG).toBe("");
    expect(example.VERCEL_PROJECT_NAME).toBe("");
    const problems = problemsOf(example);
    expect(problems.map((problem) => problem.variable)).toEqual(
      expect.arrayContaining(["VERCEL_TEAM_SLUG", "VERCEL_PROJECT_NAME"]),
    );
    expect(problems.find((p) => p.variable === "VERCEL_TEAM_SLUG")?.message).toMatch(
      /Team Settings → General → Team URL.*on purpose/,
    );
  });

  it("VERCEL_PRODUCTION_DOMAINS takes exact host names only", () => {
    expect(
      loadInfraConfig({ ...SAMPLE, VERCEL_PRODUCTION_DOMAINS: "Web.Example.com" })
        .productionDomains,
    ).toEqual(["web.example.com"]);
    for (const bad of ["https://web.example.com", "*.example.com", "web.example.com/path"]) {
      expect(problemsOf({ ...SAMPLE, VERCEL_PRODUCTION_DOMAINS: bad })[0]?.variable).toBe(
        "VERCEL_PRODUCTION_DOMAINS",
      );
    }
  });
});
