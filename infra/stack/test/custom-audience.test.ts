// VERCEL_OIDC_AUDIENCE: the stack's provider and roles accept the custom audience the app
// exchanges its token for, and no longer the team audience; trust:check decides both ways.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InfraConfigError, loadInfraConfig, validateAudience } from "../src/config";
import { roleLogicalId } from "../src/keyless-stack";
import { type CfnTemplate, synthesizeKeylessTemplate } from "../src/synth";
import { decideClaimsList, formatTrustMatrix, runTrustMatrix } from "../src/trust/check";
import { describeTrust } from "../src/trust/describe";
import { customAudienceProblem, vercelIssuer } from "../src/vercel-naming";
import { isolatedInfraEnv } from "./helpers/sample-config";

const INFRA = fileURLToPath(new URL("..", import.meta.url));
const SAMPLE = { VERCEL_TEAM_SLUG: "acme", VERCEL_PROJECT_NAME: "web", AWS_REGION: "us-east-1" };
const CUSTOM = { ...SAMPLE, VERCEL_OIDC_AUDIENCE: "sts.amazonaws.com" };
const PROD = "owner:acme:project:web:environment:production";
const TEAM_ISS = "https://oidc.vercel.com/acme";
const TEAM_AUD = "https://vercel.com/acme";

describe("the custom audience rules", () => {
  it("accepts one audience in team mode; keeps the team audience beside it", () => {
    const issuer = vercelIssuer({ teamSlug: "acme", audience: "sts.amazonaws.com" });
    expect(issuer.audience).toBe("sts.amazonaws.com");
    expect(issuer.teamAudience).toBe(TEAM_AUD);
    expect(vercelIssuer({ teamSlug: "acme" }).audience).toBe(TEAM_AUD);
  });

  it.each([
    ["", "team", "it is empty"],
    ["sts.amazonaws.com,api", "team", "space or comma"],
    ["a b", "team", "space or comma"],
    ["x".repeat(256), "team", "255 characters"],
    [TEAM_AUD, "team", "the team audience Vercel sets anyway"],
    ["sts.amazonaws.com", "global", "needs the team issuer"],
  ] as const)("refuses %j in %s mode", (audience, issuerMode, problem) => {
    expect(customAudienceProblem(audience, { teamSlug: "acme", issuerMode })).toContain(problem);
    expect(() => vercelIssuer({ teamSlug: "acme", issuerMode, audience })).toThrow(problem);
  });

  it("the global issuer with a custom audience is one configuration error naming the variable", () => {
    let problems: InfraConfigError["problems"] = [];
    expect(() => loadInfraConfig({ ...CUSTOM, VERCEL_ISSUER_MODE: "global" })).toThrow(
      InfraConfigError,
    );
    try {
      loadInfraConfig({ ...CUSTOM, VERCEL_ISSUER_MODE: "global" });
    } catch (error) {
      problems = (error as InfraConfigError).problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]?.variable).toBe("VERCEL_OIDC_AUDIENCE");
    expect(problems[0]?.message).toContain("Vercel issues exchanged tokens from");
    expect(problems[0]?.message).toContain("https://oidc.vercel.com/acme");
    expect(validateAudience("  ", { teamSlug: "acme", issuerMode: "global" })).toEqual({
      ok: true,
      value: undefined,
      warning: undefined,
    });
  });

  it("an existing provider gets a warning with the command that adds the client id", () => {
    const config = loadInfraConfig({
      ...CUSTOM,
      OIDC_PROVIDER_ARN: "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/acme",
    });
    expect(config.warnings.join("\n")).toContain(
      "add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/acme --client-id sts.amazonaws.com",
    );
  });
});

describe("the stack with VERCEL_OIDC_AUDIENCE", { timeout: 120_000 }, () => {
  let template: CfnTemplate;
  beforeAll(() => {
    template = synthesizeKeylessTemplate(loadInfraConfig(CUSTOM));
  });

  it("lists only the custom audience as the provider's client id; the role requires it", () => {
    const provider = Object.values(template.Resources).find(
      (r) => r.Type === "AWS::IAM::OIDCProvider",
    );
    expect(provider?.Properties?.Url).toBe(TEAM_ISS);
    expect(provider?.Properties?.ClientIdList).toEqual(["sts.amazonaws.com"]);
    const role = template.Resources[roleLogicalId("production")];
    const trust = JSON.parse(JSON.stringify(role?.Properties?.AssumeRolePolicyDocument ?? {}));
    const statement = trust.Statement?.[0] as
      | { Condition: Record<string, Record<string, string>> }
      | undefined;
    expect(statement?.Condition.StringEquals).toEqual({
      "oidc.vercel.com/acme:aud": "sts.amazonaws.com",
      "oidc.vercel.com/acme:sub": PROD,
    });
    expect(JSON.stringify(template.Outputs?.VercelEnvProduction)).toContain(
      "VERCEL_OIDC_AUDIENCE=sts.amazonaws.com",
    );
  });

  it("the built-in matrix: exchanged tokens allowed, the team audience denied, all as configured", () => {
    const config = loadInfraConfig(CUSTOM);
    const rows = runTrustMatrix(config, template, roleLogicalId);
    const table = formatTrustMatrix(rows);
    expect(table).not.toContain("WRONG");
    expect(rows.filter((r) => r.decision.allowed).map((r) => r.label)).toEqual([
      "this project, production",
    ]);
    const teamRow = rows.find((r) => r.label.startsWith("team audience, not exchanged"));
    expect(teamRow?.claims.aud).toBe(TEAM_AUD);
    expect(teamRow?.decision.allowed).toBe(false);
    expect(teamRow?.decision.reason).toContain(":aud");
    expect(describeTrust(config, template, roleLogicalId)).toContain(
      "audience: sts.amazonaws.com (custom",
    );
  });
});

describe("trust:check --claims with either audience", { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keyless-audience-claims-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const claims = [
    { iss: TEAM_ISS, aud: TEAM_AUD, sub: PROD },
    { iss: TEAM_ISS, aud: "sts.amazonaws.com", sub: PROD },
    { aud: "sts.amazonaws.com", sub: PROD },
  ];
  const check = (values: Record<string, string>) => {
    const file = join(dir, "claims.json");
    writeFileSync(file, JSON.stringify(claims));
    const result = spawnSync(
      join(INFRA, "node_modules/.bin/tsx"),
      ["bin/trust-check.ts", "--claims", file, "--json"],
      { cwd: INFRA, env: isolatedInfraEnv(values), encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return (JSON.parse(result.stdout) as { allowed: boolean; role: string | null }[]).map(
      (d) => d.allowed,
    );
  };

  it("a stack requiring the custom audience denies the team audience", () => {
    expect(check(CUSTOM)).toEqual([false, true, true]);
  });

  it("a stack on the team audience denies the custom one", () => {
    expect(check(SAMPLE)).toEqual([true, false, false]);
  });

  it("in process: the same decisions, with the reason naming aud", () => {
    const config = loadInfraConfig(CUSTOM);
    const [team] = decideClaimsList(config, synthesizeKeylessTemplate(config), [claims[0] ?? {}]);
    expect(team?.allowed).toBe(false);
    expect(team?.reason).toContain("oidc.vercel.com/acme:aud");
  });
});
