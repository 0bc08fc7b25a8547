import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InfraConfig, loadInfraConfig } from "../../src/config";
import { roleLogicalId } from "../../src/keyless-stack";
import { type CfnTemplate, synthesizeKeylessTemplate } from "../../src/synth";
import {
  decideClaims,
  decideClaimsAgainstTemplate,
  decideClaimsList,
  formatTrustMatrix,
  rolesFromTemplate,
  runTrustMatrix,
  SYNTH_ACCOUNT,
} from "../../src/trust/check";
import { ClaimsFileError, readClaimsFile } from "../../src/trust/claims-file";
import { describeTrust } from "../../src/trust/describe";
import { isolatedInfraEnv, SAMPLE_CONFIG } from "../helpers/sample-config";

const INFRA = fileURLToPath(new URL("../..", import.meta.url));
const SAMPLE = SAMPLE_CONFIG;
const PROD = "owner:acme:project:web:environment:production";
const EXISTING = "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/acme";

/** Each configuration synthesized once for this file: the template is a function of it. */
const synthesized = new Map<string, { config: InfraConfig; template: CfnTemplate }>();
function matrixFor(env: Record<string, string>) {
  const key = JSON.stringify(env);
  let entry = synthesized.get(key);
  if (!entry) {
    const config = loadInfraConfig({ ...SAMPLE, ...env });
    entry = { config, template: synthesizeKeylessTemplate(config) };
    synthesized.set(key, entry);
  }
  const { config, template } = entry;
  return { config, template, rows: runTrustMatrix(config, template, roleLogicalId) };
}

const allowedRows = (rows: ReturnType<typeof matrixFor>["rows"]) =>
  rows.filter((r) => r.decision.allowed).map((r) => [r.label, r.decision.role]);

describe("the built-in trust matrix", { timeout: 120_000 }, () => {
  it("sample config (acme/web, production): only production is allowed, all as configured", () => {
    const { rows } = matrixFor({});
    expect(rows.every((r) => r.ok)).toBe(true);
    expect(allowedRows(rows)).toEqual([["this project, production", "VercelRoleProduction"]]);
    const labels = rows.map((r) => r.label);
    for (const expected of [
      "this project, preview",
      "this project, development",
      "another project of the team",
      "project name extends ours (web-evil)",
      "project name extends ours (web2)",
      "another team, same project name",
      "team slug extends ours (acme-evil)",
      "wrong audience (sts.amazonaws.com)",
      "global issuer, team provider",
      "sub with upper-case team",
      "sub with capitalised project",
      "sub with capitalised environment",
    ]) {
      expect(labels).toContain(expected);
    }
    const table = formatTrustMatrix(rows);
    expect(table).toContain("allowed → VercelRoleProduction");
    expect(table).not.toContain("WRONG");
    const globalRow = rows.find((r) => r.label === "global issuer, team provider");
    expect(globalRow?.decision.reason).toContain("no role trusts the provider for issuer");
  });

  it("production and preview: each environment gets its own role, nothing crosses over", () => {
    const { rows } = matrixFor({ VERCEL_ENVIRONMENTS: "production,preview" });
    expect(rows.every((r) => r.ok)).toBe(true);
    expect(allowedRows(rows)).toEqual([
      ["this project, production", "VercelRoleProduction"],
      ["this project, preview", "VercelRolePreview"],
    ]);
  });

  it("a custom environment (staging): its token reaches its own role only, nothing crosses over", () => {
    const { rows, template, config } = matrixFor({
      VERCEL_ENVIRONMENTS: "production,preview,staging",
    });
    expect(rows.every((r) => r.ok)).toBe(true);
    expect(allowedRows(rows)).toEqual([
      ["this project, production", "VercelRoleProduction"],
      ["this project, preview", "VercelRolePreview"],
      ["this project, staging (custom environment)", "VercelRoleStaging"],
    ]);
    const staging = rows.find((r) => r.label === "this project, staging (custom environment)");
    expect(staging?.claims.sub).toBe("owner:acme:project:web:environment:staging");
    // The staging token against each other role, one by one: each refuses it.
    const roles = rolesFromTemplate(template);
    expect(roles.map((r) => r.logicalId)).toContain("VercelRoleStaging");
    for (const other of ["VercelRoleProduction", "VercelRolePreview"]) {
      const only = roles.filter((r) => r.logicalId === other);
      expect(only).toHaveLength(1);
      const decision = decideClaims(only, staging?.claims ?? {}, {
        defaultIssuer: config.issuerUrl,
        account: SYNTH_ACCOUNT,
      });
      expect(decision.allowed, other).toBe(false);
    }
    expect(rows.find((r) => r.label.startsWith("this project, unlisted"))?.decision.allowed).toBe(
      false,
    );
  });

  it("global issuer mode: another team shares the issuer and is stopped by aud and sub", () => {
    const { rows } = matrixFor({ VERCEL_ISSUER_MODE: "global" });
    expect(rows.every((r) => r.ok)).toBe(true);
    const otherTeam = rows.find((r) => r.label === "another team, same project name");
    expect(otherTeam?.claims.iss).toBe("https://oidc.vercel.com");
    expect(otherTeam?.decision.reason).toContain(":aud wants");
    expect(rows.find((r) => r.label === "team issuer, global provider")?.decision.allowed).toBe(
      false,
    );
  });

  it("existing provider: the principal is that ARN, in its account", () => {
    const { rows } = matrixFor({
      OIDC_PROVIDER_ARN: EXISTING,
    });
    expect(rows.every((r) => r.ok)).toBe(true);
    expect(allowedRows(rows)).toHaveLength(1);
  });

  it("flags a template whose trust is wider than the configuration", () => {
    const { config, template } = matrixFor({});
    const loose = structuredClone(template) as CfnTemplate;
    const trust = loose.Resources.VercelRoleProduction?.Properties?.AssumeRolePolicyDocument as
      | { Statement: { Condition: Record<string, Record<string, unknown>> }[] }
      | undefined;
    const statement = trust?.Statement[0];
    if (!statement) throw new Error("no trust statement");
    // Wildcards, the classic mistake: web* also matches web-evil and web2, environment:* any.
    statement.Condition = {
      StringEquals: { "oidc.vercel.com/acme:aud": "https://vercel.com/acme" },
      StringLike: { "oidc.vercel.com/acme:sub": "owner:acme:project:web*:environment:*" },
    };
    const rows = runTrustMatrix(config, loose, roleLogicalId);
    const wrong = rows.filter((r) => !r.ok).map((r) => r.label);
    expect(wrong).toEqual([
      "this project, preview",
      "this project, development",
      "this project, unlisted (custom environment)",
      "project name extends ours (web-evil)",
      "project name extends ours (web2)",
      "sub with capitalised environment",
    ]);
    expect(formatTrustMatrix(rows)).toContain("WRONG");
  });
});

describe("describeTrust (printed before cdk deploy)", () => {
  const trustText = (env: Record<string, string>) => {
    const { config, template } = matrixFor(env);
    return describeTrust(config, template, roleLogicalId);
  };

  it("names the provider, issuer, audience and every role's exact sub", () => {
    const text = trustText({ VERCEL_ENVIRONMENTS: "production,preview" });
    expect(text).toContain("a new OIDC provider for https://oidc.vercel.com/acme");
    expect(text).toContain("audience: https://vercel.com/acme");
    expect(text).toContain(`oidc.vercel.com/acme:sub = ${PROD}`);
    expect(text).toContain("oidc.vercel.com/acme:sub = owner:acme:project:web:environment:preview");
    expect(trustText({ OIDC_PROVIDER_ARN: EXISTING })).toContain(
      `existing OIDC provider ${EXISTING}`,
    );
  });

  it("says what each role may do, read from the synthesized policies: its own prefix, no delete", () => {
    const text = trustText({ VERCEL_ENVIRONMENTS: "production,preview" });
    expect(text).toContain("production role (VercelRoleProduction, sessions up to 1 h):");
    expect(text).toMatch(/s3:ListBucket on <AppBucket\w*> where s3:prefix production\/\*/);
    expect(text).toMatch(/s3:GetObject, s3:PutObject on <AppBucket\w*>\/preview\/\*/);
    expect(text).not.toMatch(/delete/i);
  });

  it("a statement added to a role's policy shows up in the text (it is not written by hand)", () => {
    const { config, template } = matrixFor({});
    const widened = structuredClone(template);
    for (const resource of Object.values(widened.Resources)) {
      const document = (resource.Properties as { PolicyDocument?: { Statement: unknown[] } })
        ?.PolicyDocument;
      if (resource.Type === "AWS::IAM::Policy" && document) {
        document.Statement.push({ Effect: "Allow", Action: "s3:DeleteObject", Resource: "*" });
      }
    }
    expect(describeTrust(config, widened, roleLogicalId)).toContain("s3:DeleteObject on *");
  });
});

describe("claims lists and the CLI", { timeout: 120_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keyless-claims-"));
    env = isolatedInfraEnv(SAMPLE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const trustCheck = (args: string[], extraEnv: Record<string, string> = {}) =>
    spawnSync(join(INFRA, "node_modules/.bin/tsx"), ["bin/trust-check.ts", ...args], {
      cwd: INFRA,
      env: { ...env, ...extraEnv },
      encoding: "utf8",
    });

  it("--claims FILE --json prints one decision per claim object, same order", () => {
    const claims = [
      { iss: "https://oidc.vercel.com/acme", aud: "https://vercel.com/acme", sub: PROD },
      { aud: "https://vercel.com/acme", sub: "owner:acme:project:web:environment:preview" },
      { iss: "https://oidc.vercel.com", aud: "https://vercel.com/acme", sub: PROD },
      { sub: PROD },
    ];
    const file = join(dir, "claims.json");
    writeFileSync(file, JSON.stringify(claims));
    const result = trustCheck(["--claims", file, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const decisions = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(decisions).toHaveLength(4);
    for (const d of decisions) expect(Object.keys(d).sort()).toEqual(["allowed", "reason", "role"]);
    expect(decisions.map((d) => [d.allowed, d.role])).toEqual([
      [true, "VercelRoleProduction"],
      [false, null],
      [false, null],
      [false, null],
    ]);
    expect(decisions[3]?.reason).toContain(":aud");
    expect(decisions[3]?.reason).toContain("no such key");
  });

  it("in-process decisions agree with the CLI's shape", () => {
    const config = loadInfraConfig(SAMPLE);
    const template = synthesizeKeylessTemplate(config);
    expect(rolesFromTemplate(template).map((r) => r.logicalId)).toEqual(["VercelRoleProduction"]);
    expect(
      decideClaimsList(config, template, [{ aud: "https://vercel.com/acme", sub: PROD }]),
    ).toEqual([
      {
        allowed: true,
        role: "VercelRoleProduction",
        reason: "VercelRoleProduction: allowed by Statement[0]",
      },
    ]);
  });

  it.each([
    ["a missing file", null, "Cannot read the claims file"],
    ["bad JSON", "[{", "is not JSON"],
    ["not an array", '{"sub": "x"}', "must hold a JSON array of claim objects"],
    ["a non-object item", '[{"sub": "x"}, 3]', "item 1 is not an object of claims"],
  ])("%s → ClaimsFileError naming the problem", (_label, content, message) => {
    const file = join(dir, `bad-${Math.random()}.json`);
    if (content !== null) writeFileSync(file, content);
    expect(() => readClaimsFile(file)).toThrow(ClaimsFileError);
    expect(() => readClaimsFile(file)).toThrow(message);
  });

  it("the CLI turns a bad claims file into a message and exit 2", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, "[{");
    const result = trustCheck(["--claims", file, "--json"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`The claims file ${file} is not JSON`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
  });

  it("a configuration error → the variable named, no stack trace, exit 2", () => {
    const result = trustCheck([], { VERCEL_TEAM_SLUG: "", VERCEL_ENVIRONMENTS: "prod" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("VERCEL_TEAM_SLUG: missing");
    expect(result.stderr).toContain('VERCEL_ENVIRONMENTS: "prod" is not a Vercel environment');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("an unknown flag → usage, exit 2", () => {
    const result = trustCheck(["--clams", "x"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("usage: pnpm trust:check");
  });

  it("--template without --claims, or a file that is no template → usage, exit 2", () => {
    const notTemplate = join(dir, "not-a-template.json");
    writeFileSync(notTemplate, "[]");
    for (const args of [
      ["--template", notTemplate],
      ["--template", notTemplate, "--claims", notTemplate],
    ]) {
      const result = trustCheck(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/--template (needs --claims|.* has no Resources)/);
    }
  });
});

// Another CDK app's template: a role on an existing provider named by ARN, and a role that trusts
// a service (left out). The Keyless-stack path is covered above; the synthesized case in
// test-copy/existing-app.test.ts.
describe("decideClaimsAgainstTemplate", () => {
  const providerArn = "arn:aws:iam::210987654321:oidc-provider/oidc.vercel.com/acme";
  const template: CfnTemplate = {
    Resources: {
      FunctionRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
              },
            ],
          },
        },
      },
      WebRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Federated: providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                  StringEquals: {
                    "oidc.vercel.com/acme:aud": "https://vercel.com/acme",
                    "oidc.vercel.com/acme:sub": PROD,
                  },
                },
              },
            ],
          },
        },
      },
    },
  };

  it("decides in the provider's account, with its issuer for claims that carry none", () => {
    const [ours, preview, otherTeam] = decideClaimsAgainstTemplate(template, [
      { sub: PROD, aud: "https://vercel.com/acme" },
      { sub: PROD.replace("production", "preview"), aud: "https://vercel.com/acme" },
      { iss: "https://oidc.vercel.com/other", sub: PROD, aud: "https://vercel.com/acme" },
    ]);
    expect(ours).toMatchObject({ allowed: true, role: "WebRole" });
    expect(preview).toMatchObject({ allowed: false, role: null });
    expect(preview?.reason).not.toContain("FunctionRole");
    expect(otherTeam?.reason).toContain("no role trusts the provider for issuer");
  });

  it("asks for iss when the template trusts no single issuer", () => {
    const { WebRole: _dropped, ...withoutWeb } = template.Resources;
    expect(() => decideClaimsAgainstTemplate({ Resources: withoutWeb }, [{ sub: PROD }])).toThrow(
      ClaimsFileError,
    );
  });
});
