// pnpm vercel:env against a local server that speaks Vercel's env endpoints, and (for the values)
// against the real stack deployed into moto.

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { IAMClient } from "@aws-sdk/client-iam";
import { accountConfigs } from "@repo/infra/accounts";
import { loadInfraConfig } from "@repo/infra/config";
import { synthesizeKeylessTemplate } from "@repo/infra/synth";
import { vercelIssuer } from "@repo/infra/vercel-naming";
import { createStackAndWait, ensureVercelOidcProvider } from "@repo/sandbox/deploy-template";
import { type MotoServer, startMoto } from "@repo/sandbox/test-kit/moto";
import { SAMPLE_CONFIG } from "@repo/sandbox/test-kit/sample-config";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runVercelEnv } from "../../src/setup/vercel-env-command";
import { formatPlan, planVercelEnv } from "../../src/setup/vercel-env-plan";
import {
  type FakeEnvSeed,
  type FakeVercel,
  startFakeVercel,
  storedEnv,
} from "../helpers/fake-vercel";
import { collector } from "../helpers/streams";

const TEAM_ID = "team_k3yl3ss";
const PROJECT = { id: "prj_w3bapp", name: "web" };
const ROLE_PRODUCTION = "arn:aws:iam::123456789012:role/KeylessVercelOidc-VercelRoleProduction-AbC";
const ROLE_PREVIEW = "arn:aws:iam::123456789012:role/KeylessVercelOidc-VercelRolePreview-DeF";
const BUCKET = "keylessverceloidc-appbucket-1a2b3c";
const VALUE_FLAGS = [
  "--bucket",
  BUCKET,
  "--role-arn-production",
  ROLE_PRODUCTION,
  "--role-arn-preview",
  ROLE_PREVIEW,
];

/** A plausible leaked key pair, made at run time (never a literal that looks like a real key). */
const fakeStaticKey = () => ({
  id: `AKIA${randomBytes(8).toString("hex").toUpperCase()}`,
  secret: randomBytes(30).toString("base64"),
});

/** vercel:env against the fake Vercel with the .env in `dir`; the token never reaches the output. */
async function runWithEnvFile(
  dir: string,
  vercel: FakeVercel,
  token: string,
  argv: string[],
  environment: Record<string, string>,
  cloudFormation: Parameters<typeof runVercelEnv>[0]["cloudFormation"],
) {
  const out = collector();
  const err = collector();
  const code = await runVercelEnv({
    argv,
    environment: {
      KEYLESS_ENV_FILE: join(dir, ".env"),
      VERCEL_TOKEN: token,
      VERCEL_API_URL: vercel.url,
      ...environment,
    },
    stdout: out.stream,
    stderr: err.stream,
    cloudFormation,
  });
  expect(out.text() + err.text()).not.toContain(token);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe("pnpm vercel:env", () => {
  let dir: string;
  let token: string;
  let vercel: FakeVercel;
  let leaked: { id: string; secret: string };

  const seed = (): FakeEnvSeed[] => [
    {
      key: "AWS_ACCESS_KEY_ID",
      value: leaked.id,
      type: "encrypted",
      target: ["production", "preview", "development"],
    },
    {
      key: "AWS_SECRET_ACCESS_KEY",
      value: leaked.secret,
      type: "sensitive",
      target: ["production", "preview"],
    },
    {
      key: "AWS_REGION",
      value: "us-west-2",
      type: "plain",
      target: ["production", "preview", "development"],
    },
    {
      key: "AWS_ROLE_ARN",
      value: "arn:aws:iam::123456789012:role/old",
      type: "plain",
      target: ["production", "preview"],
    },
    {
      key: "DATABASE_URL",
      value: "postgres://db.example/app",
      type: "encrypted",
      target: ["production"],
    },
  ];

  const writeConfig = (extra: Record<string, string> = {}) => {
    const lines = {
      ...SAMPLE_CONFIG,
      VERCEL_PROJECT_NAME: PROJECT.name,
      VERCEL_TEAM_ID: TEAM_ID,
      VERCEL_ENVIRONMENTS: "production,preview",
      ...extra,
    };
    writeFileSync(
      join(dir, ".env"),
      Object.entries(lines)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
    );
  };

  const run = async (
    argv: string[],
    environment: Record<string, string> = {},
    cfn?: CloudFormationClient,
  ) => {
    const result = await runWithEnvFile(dir, vercel, token, argv, environment, cfn);
    // Whatever happened, the token and the old secret never reach the terminal.
    const all = result.stdout + result.stderr;
    expect(all).not.toContain(leaked.secret);
    expect(all).not.toContain(leaked.id);
    return result;
  };

  /** The fake Vercel again, with a project set up otherwise (custom environments, protection). */
  const restartVercel = async (
    project: Omit<
      Parameters<typeof startFakeVercel>[0],
      "token" | "teamId" | "teamSlug" | "project"
    >,
  ) => {
    await vercel.close();
    vercel = await startFakeVercel({
      token,
      teamId: TEAM_ID,
      teamSlug: "acme",
      project: PROJECT,
      ...project,
    });
  };
  const mutations = () => vercel.requests.filter((r) => r.method !== "GET");
  const byKey = (key: string) =>
    vercel.envs
      .filter((e) => e.key === key)
      .map((e) => ({ value: e.value, type: e.type, target: [...e.target].sort() }))
      .sort((a, b) => a.target.join().localeCompare(b.target.join()));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyless-vercel-env-"));
    token = `vtok_${randomBytes(18).toString("hex")}`;
    leaked = fakeStaticKey();
    vercel = await startFakeVercel({
      token,
      teamId: TEAM_ID,
      teamSlug: "acme",
      project: PROJECT,
      envs: seed(),
    });
    writeConfig();
  });
  afterEach(async () => {
    await vercel.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the plan and changes nothing without --apply", async () => {
    const before = JSON.stringify(vercel.envs);
    const { code, stdout, stderr } = await run(VALUE_FLAGS);
    expect(code).toBe(0);
    expect(stdout).toContain("Vercel project web (team team_k3yl3ss)");
    expect(stdout).toMatch(
      /\+ create\s+AWS_ROLE_ARN\s+\[production\]\s+arn:aws:iam::123456789012:role\/KeylessVercelOidc-VercelRoleProduction-AbC/,
    );
    expect(stdout).toMatch(/\+ create\s+AWS_ROLE_ARN\s+\[preview\]\s+.*VercelRolePreview/);
    expect(stdout).toMatch(/- delete\s+AWS_ROLE_ARN\s+\[production, preview\]/);
    expect(stdout).toMatch(
      /~ narrow\s+AWS_REGION\s+\[production, preview, development\]\s+→ \[development\]/,
    );
    expect(stdout).toMatch(/\+ create\s+AWS_REGION\s+\[production, preview\]\s+us-east-1/);
    expect(stdout).toMatch(
      /\+ create\s+S3_BUCKET\s+\[production, preview\]\s+keylessverceloidc-appbucket-1a2b3c/,
    );
    expect(stdout).toMatch(
      /- delete\s+AWS_ACCESS_KEY_ID\s+\[production, preview, development\]\s+static keys/,
    );
    expect(stdout).toMatch(/- delete\s+AWS_SECRET_ACCESS_KEY/);
    expect(stdout).not.toContain("DATABASE_URL");
    // No custom audience in .env: nothing to set, and no custom environment to look up.
    expect(stdout).not.toContain("VERCEL_OIDC_AUDIENCE");
    expect(stdout).toContain("Dry run: nothing was changed. Run `pnpm vercel:env --apply`");
    expect(mutations()).toEqual([]);
    expect(JSON.stringify(vercel.envs)).toBe(before);
    // Every call was authenticated (the server refuses otherwise) and addressed to the team.
    expect(vercel.requests.map((r) => [r.method, r.path, r.query.teamId])).toEqual([
      ["GET", "/v10/projects/web/env", TEAM_ID],
      // A preview role is planned: is the project's Deployment Protection on?
      ["GET", "/v9/projects/web", TEAM_ID],
    ]);
    expect(stderr).not.toContain("Deployment Protection is off");
  });

  it("configures the project's settings: OIDC federation in the stack's issuer mode, root directory, Node.js, pnpm", async () => {
    // As a project imported by hand starts: OIDC off, the repository root, an older Node.js.
    await restartVercel({
      settings: {
        oidcTokenConfig: { enabled: false, issuerMode: "global" },
        rootDirectory: null,
        nodeVersion: "22.x",
      },
    });
    const dry = await run(VALUE_FLAGS);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      "~ set     OIDC federation (Settings → Security): on, issuer mode team (was off)",
    );
    expect(dry.stdout).toContain(
      "~ set     Root Directory (Settings → Build and Deployment): apps/web (was (not set))",
    );
    expect(dry.stdout).toContain(
      "~ set     Node.js Version (Settings → Build and Deployment): 24.x (was 22.x)",
    );
    expect(dry.stdout).toMatch(
      /\+ create\s+ENABLE_EXPERIMENTAL_COREPACK\s+\[production, preview\]\s+1$/m,
    );
    expect(mutations()).toEqual([]);

    const applied = await run([...VALUE_FLAGS, "--apply"]);
    expect(applied.code).toBe(0);
    // One Update Project call with the three fields, as the API documents them.
    expect(mutations().filter((r) => r.path === "/v9/projects/web")).toEqual([
      {
        method: "PATCH",
        path: "/v9/projects/web",
        query: { teamId: TEAM_ID },
        body: {
          oidcTokenConfig: { enabled: true, issuerMode: "team" },
          rootDirectory: "apps/web",
          nodeVersion: "24.x",
        },
      },
    ]);
    expect(vercel.settings).toEqual({
      oidcTokenConfig: { enabled: true, issuerMode: "team" },
      rootDirectory: "apps/web",
      nodeVersion: "24.x",
    });
    expect(byKey("ENABLE_EXPERIMENTAL_COREPACK")).toEqual([
      { value: "1", type: "plain", target: ["preview", "production"] },
    ]);

    const again = await run(VALUE_FLAGS);
    expect(again.stdout).toContain(
      "= keep    project settings (OIDC federation, root directory, Node.js version)",
    );
    expect(again.stdout).toContain("nothing to change");

    // A global-mode stack wants the project in global mode.
    writeConfig({ VERCEL_ISSUER_MODE: "global" });
    const global = await run([...VALUE_FLAGS, "--json"]);
    expect(JSON.parse(global.stdout).settings).toEqual([
      { field: "oidcTokenConfig", from: "on, issuer mode team", to: "on, issuer mode global" },
    ]);
  });

  it("without VERCEL_TOKEN, the dry run shows what --apply would set and says it compared nothing", async () => {
    const { code, stdout } = await run(VALUE_FLAGS, { VERCEL_TOKEN: "" });
    expect(code).toBe(0);
    expect(vercel.requests).toEqual([]);
    expect(stdout).toMatch(/\+ create\s+AWS_REGION\s+\[production, preview\]\s+us-east-1$/m);
    expect(stdout).toContain(
      "~ set     Root Directory (Settings → Build and Deployment): apps/web\n",
    );
    expect(stdout).toContain("No VERCEL_TOKEN: this is what --apply would set");
    const json = await run([...VALUE_FLAGS, "--json"], { VERCEL_TOKEN: "" });
    expect(JSON.parse(json.stdout)).toMatchObject({ applied: false, compared: false });
  });

  it("warns when a preview role is planned and the project's Deployment Protection is off", async () => {
    await restartVercel({ ssoProtection: null });
    const open = await run(VALUE_FLAGS);
    expect(open.code).toBe(0);
    expect(open.stderr).toContain(
      "WARNING: Deployment Protection is off for web (team team_k3yl3ss): anyone with the URL of a preview deployment",
    );
    expect(open.stderr).toContain("Settings → Deployment Protection");
    // Production only: nothing a preview URL could reach, so no question asked.
    writeConfig({ VERCEL_ENVIRONMENTS: "production" });
    vercel.requests.length = 0;
    const productionOnly = await run([
      "--bucket",
      BUCKET,
      "--role-arn-production",
      ROLE_PRODUCTION,
    ]);
    expect(productionOnly.code).toBe(0);
    expect(productionOnly.stderr).not.toContain("Deployment Protection");
  });

  it("--json prints the plan as data (values of managed variables only), --apply applies it", async () => {
    const dry = await run([...VALUE_FLAGS, "--json"]);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      project: string;
      environments: string[];
      applied: boolean;
      steps: { action: string; key: string; target: string[]; value?: string }[];
    };
    expect(plan).toMatchObject({ applied: false, environments: ["production", "preview"] });
    expect(plan.project).toContain("web");
    expect(plan.steps).toContainEqual({
      action: "create",
      key: "AWS_ROLE_ARN",
      target: ["production"],
      value: ROLE_PRODUCTION,
    });
    const deleted = plan.steps.filter((step) => step.action === "delete");
    expect(deleted.map((step) => step.key)).toContain("AWS_SECRET_ACCESS_KEY");
    for (const step of deleted) expect(step).not.toHaveProperty("value");
    expect(dry.stdout).not.toContain(leaked.secret);
    expect(mutations()).toEqual([]);

    const applied = await run([...VALUE_FLAGS, "--json", "--apply"]);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: true });
    expect(byKey("AWS_ROLE_ARN")).toContainEqual({
      value: ROLE_PRODUCTION,
      type: "plain",
      target: ["production"],
    });
    expect(byKey("AWS_SECRET_ACCESS_KEY")).toEqual([]);
  });

  it("--apply sets one role per environment, the region and the bucket, and removes the old keys", async () => {
    const { code, stdout } = await run([...VALUE_FLAGS, "--apply"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Done. Variables and settings apply to new deployments only");

    expect(byKey("AWS_ROLE_ARN")).toEqual([
      { value: ROLE_PREVIEW, type: "plain", target: ["preview"] },
      { value: ROLE_PRODUCTION, type: "plain", target: ["production"] },
    ]);
    expect(byKey("AWS_REGION")).toEqual([
      { value: "us-west-2", type: "plain", target: ["development"] },
      { value: "us-east-1", type: "plain", target: ["preview", "production"] },
    ]);
    expect(byKey("S3_BUCKET")).toEqual([
      { value: BUCKET, type: "plain", target: ["preview", "production"] },
    ]);
    expect(byKey("AWS_ACCESS_KEY_ID")).toEqual([]);
    expect(byKey("AWS_SECRET_ACCESS_KEY")).toEqual([]);
    expect(byKey("DATABASE_URL")).toHaveLength(1);

    // Room is made before creating (no conflicts), and all new variables go in one request.
    const calls = mutations().map((r) => `${r.method} ${r.path.replace(/env\/[^/]+$/, "env/:id")}`);
    expect(calls).toEqual([
      "DELETE /v9/projects/web/env/:id",
      "DELETE /v9/projects/web/env/:id",
      "DELETE /v9/projects/web/env/:id",
      "PATCH /v9/projects/web/env/:id",
      "POST /v10/projects/web/env",
    ]);
    const post = mutations().find((r) => r.method === "POST");
    expect(post?.body).toEqual([
      { key: "AWS_REGION", value: "us-east-1", type: "plain", target: ["production", "preview"] },
      { key: "AWS_ROLE_ARN", value: ROLE_PRODUCTION, type: "plain", target: ["production"] },
      { key: "AWS_ROLE_ARN", value: ROLE_PREVIEW, type: "plain", target: ["preview"] },
      { key: "S3_BUCKET", value: BUCKET, type: "plain", target: ["production", "preview"] },
      {
        key: "ENABLE_EXPERIMENTAL_COREPACK",
        value: "1",
        type: "plain",
        target: ["production", "preview"],
      },
    ]);
    expect(vercel.requests.every((r) => r.query.teamId === TEAM_ID)).toBe(true);

    // Running it again finds nothing to do.
    vercel.requests.length = 0;
    const again = await run([...VALUE_FLAGS, "--apply"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already has these values and settings; nothing to change");
    expect(again.stdout).toMatch(/= keep\s+AWS_ROLE_ARN\s+\[production\]/);
    expect(mutations()).toEqual([]);
  });

  it("updates a variable whose target already matches, in place (an encrypted value cannot be compared)", async () => {
    vercel.envs.length = 0;
    vercel.envs.push(
      storedEnv(
        {
          id: "env1",
          key: "AWS_ROLE_ARN",
          value: "arn:aws:iam::123456789012:role/previous",
          type: "encrypted",
          target: ["production"],
        },
        1,
      ),
      storedEnv(
        {
          id: "env2",
          key: "AWS_ROLE_ARN",
          value: "arn:aws:iam::123456789012:role/previous-preview",
          type: "plain",
          target: ["preview"],
        },
        1,
      ),
    );
    const { code, stdout } = await run([...VALUE_FLAGS, "--apply"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/~ update\s+AWS_ROLE_ARN\s+\[production\]\s+\S+AbC$/m);
    expect(stdout).toContain("(was arn:aws:iam::123456789012:role/previous-preview)");
    expect(vercel.envs.find((e) => e.id === "env1")).toMatchObject({
      value: ROLE_PRODUCTION,
      type: "plain",
    });
    expect(vercel.envs.find((e) => e.id === "env2")).toMatchObject({
      value: ROLE_PREVIEW,
      type: "plain",
    });
  });

  it("leaves a branch-specific variable alone and says so", async () => {
    vercel.envs.push(
      storedEnv(
        {
          id: "br1",
          key: "AWS_ROLE_ARN",
          value: "arn:aws:iam::123456789012:role/branch",
          type: "plain",
          target: ["preview"],
          gitBranch: "staging",
        },
        1,
      ),
    );
    const { code, stdout } = await run([...VALUE_FLAGS, "--apply"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/! skip\s+AWS_ROLE_ARN\s+\[preview\]\s+only for git branch staging/);
    expect(vercel.envs.find((e) => e.id === "br1")?.value).toBe(
      "arn:aws:iam::123456789012:role/branch",
    );
  });

  it("sets VERCEL_OIDC_AUDIENCE everywhere when .env requires a custom audience, and removes it when not", async () => {
    writeConfig({ VERCEL_OIDC_AUDIENCE: "sts.amazonaws.com" });
    const dry = await run(VALUE_FLAGS);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /\+ create\s+VERCEL_OIDC_AUDIENCE\s+\[production, preview\]\s+sts\.amazonaws\.com$/m,
    );
    expect(mutations()).toEqual([]);

    const applied = await run([...VALUE_FLAGS, "--apply"]);
    expect(applied.code).toBe(0);
    expect(byKey("VERCEL_OIDC_AUDIENCE")).toEqual([
      { value: "sts.amazonaws.com", type: "plain", target: ["preview", "production"] },
    ]);
    const again = await run(VALUE_FLAGS);
    expect(again.stdout).toMatch(/= keep\s+VERCEL_OIDC_AUDIENCE\s+\[production, preview\]/);
    expect(again.stdout).toContain("nothing to change");

    // Back to the team audience: the roles accept only that, so the variable leaves the configured
    // environments; an environment Keyless does not manage (development) keeps its own.
    writeConfig();
    vercel.envs.push(
      storedEnv(
        {
          id: "aud-dev",
          key: "VERCEL_OIDC_AUDIENCE",
          value: "api://elsewhere",
          type: "plain",
          target: ["development"],
        },
        1,
      ),
    );
    const removed = await run([...VALUE_FLAGS, "--apply"]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(
      /- delete\s+VERCEL_OIDC_AUDIENCE\s+\[production, preview\]\s+no VERCEL_OIDC_AUDIENCE in \.env: the roles accept only the team audience/,
    );
    expect(removed.stdout).not.toMatch(/VERCEL_OIDC_AUDIENCE\s+\[development\]/);
    expect(byKey("VERCEL_OIDC_AUDIENCE")).toEqual([
      { value: "api://elsewhere", type: "plain", target: ["development"] },
    ]);
  });

  it("keeps a custom environment's share of a variable by its id when narrowing it", async () => {
    await restartVercel({ customEnvironments: ["qa"] });
    const qa = vercel.customEnvironments[0]?.id ?? "";
    vercel.envs.push(
      storedEnv(
        {
          id: "shared",
          key: "AWS_REGION",
          value: "eu-west-1",
          type: "plain",
          target: ["production", "preview"],
          customEnvironmentIds: [qa],
        },
        1,
      ),
    );
    const { code, stdout } = await run([...VALUE_FLAGS, "--apply"]);
    expect(code).toBe(0);
    // A variable that carries a custom environment is shown by the environment's name.
    expect(stdout).toMatch(/~ narrow\s+AWS_REGION\s+\[production, preview, qa\]\s+→ \[qa\]/);
    const patch = mutations().find((r) => r.method === "PATCH");
    expect(patch?.body).toEqual({ target: [], customEnvironmentIds: [qa] });
    expect(vercel.envs.find((e) => e.id === "shared")).toMatchObject({
      value: "eu-west-1",
      target: [],
      customEnvironmentIds: [qa],
    });
    expect(vercel.requests.map((r) => `${r.method} ${r.path}`).slice(0, 2)).toEqual([
      "GET /v10/projects/web/env",
      "GET /v9/projects/web/custom-environments",
    ]);
  });

  it("addresses the team by slug when there is no team id", async () => {
    writeConfig({ VERCEL_TEAM_ID: "" });
    const { code } = await run(VALUE_FLAGS);
    expect(code).toBe(0);
    expect(vercel.requests[0]?.query).toEqual({ slug: "acme" });
  });

  it("explains a refused token without printing it", async () => {
    const { code, stderr } = await run(VALUE_FLAGS, { VERCEL_TOKEN: `${token}x` });
    expect(code).toBe(1);
    expect(stderr).toContain("Vercel API GET /v10/projects/web/env failed: 403 forbidden");
    expect(stderr).toContain("VERCEL_TOKEN was refused");
    expect(stderr).not.toContain(`${token}x`);
  });

  it("never repeats the token, even when the server echoes it", async () => {
    vercel.failNext(500, { code: "internal_server_error", message: `token ${token} exploded` });
    const { code, stderr } = await run(VALUE_FLAGS);
    expect(code).toBe(1);
    expect(stderr).toContain("token [VERCEL_TOKEN] exploded");
  });

  it("names the project settings when the project is not found", async () => {
    writeConfig({ VERCEL_PROJECT_NAME: "webb" });
    const { code, stderr } = await run(VALUE_FLAGS);
    expect(code).toBe(1);
    expect(stderr).toContain("404 not_found");
    expect(stderr).toContain(
      "Project webb (team team_k3yl3ss) not found: check VERCEL_PROJECT_ID / VERCEL_PROJECT_NAME",
    );
  });

  it("says when the API cannot be reached", async () => {
    const { code, stderr } = await run(VALUE_FLAGS, { VERCEL_API_URL: "http://127.0.0.1:9" });
    expect(code).toBe(1);
    expect(stderr).toContain("Could not reach the Vercel API at http://127.0.0.1:9");
  });

  it("needs VERCEL_TOKEN to apply and valid values, and says how to get them", async () => {
    const missing = await run([...VALUE_FLAGS, "--apply"], { VERCEL_TOKEN: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "VERCEL_TOKEN is not set. Create a token in Vercel → Account Settings → Tokens",
    );
    expect(vercel.requests).toEqual([]);

    const badArn = await run([
      "--bucket",
      BUCKET,
      "--role-arn-production",
      "arn:aws:iam::1234:role/x",
      "--role-arn-preview",
      ROLE_PREVIEW,
    ]);
    expect(badArn.code).toBe(2);
    expect(badArn.stderr).toContain(
      'The role ARN for production ("arn:aws:iam::1234:role/x") is not an IAM role ARN',
    );

    const unconfigured = await run([...VALUE_FLAGS, "--role-arn-development", ROLE_PREVIEW]);
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toContain(
      "VERCEL_ENVIRONMENTS (production,preview) has no development",
    );

    const oneAccount = await run(VALUE_FLAGS, {
      KEYLESS_ACCOUNTS: "production:111111111111,preview:222222222222",
      KEYLESS_ONLY_ACCOUNT: "222222222222",
    });
    expect(oneAccount.code).toBe(2);
    expect(oneAccount.stderr.trim().split("\n")).toEqual([
      expect.stringContaining(
        "KEYLESS_ONLY_ACCOUNT=222222222222 is set, but vercel:env sets every environment of the one Vercel project",
      ),
    ]);

    const unknownFlag = await run(["--token", "x"]);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("usage: pnpm vercel:env");
    expect(mutations()).toEqual([]);
  });
});

// moto needs a few seconds to start, many more on a busy 2-core machine.
const MOTO_HOOK_TIMEOUT = 60_000;

describe("pnpm vercel:env with the values of the deployed stack", { timeout: 180_000 }, () => {
  let moto: MotoServer;
  let dir: string;
  const writeSettings = (settings: Record<string, string>, extra = "") =>
    writeFileSync(
      join(dir, ".env"),
      `${Object.entries(settings)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}${extra}`,
    );
  /** vercel:env against the fake Vercel, with the .env of `dir`. */
  const runAgainst = (
    vercel: FakeVercel,
    token: string,
    argv: string[],
    cloudFormation: Parameters<typeof runVercelEnv>[0]["cloudFormation"],
  ) => runWithEnvFile(dir, vercel, token, argv, {}, cloudFormation);
  /** `KEY:environment,…` → value of each variable the fake Vercel holds (custom ones by slug). */
  const variablesByTarget = (vercel: FakeVercel) =>
    Object.fromEntries(
      vercel.envs.map((e) => {
        const custom = e.customEnvironmentIds.map(
          (id) => vercel.customEnvironments.find((c) => c.id === id)?.slug ?? id,
        );
        return [`${e.key}:${[...e.target, ...custom].join(",")}`, e.value];
      }),
    );

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), "keyless-vercel-env-stack-"));
  }, MOTO_HOOK_TIMEOUT);
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, MOTO_HOOK_TIMEOUT);

  /** moto clients and the .env of a stack with `extra` settings (the provider made first). */
  const stackSettings = async (extra: Record<string, string>) => {
    const iam = new IAMClient(moto.clientConfig);
    const cfn = new CloudFormationClient(moto.clientConfig);
    const providerArn = await ensureVercelOidcProvider(iam, vercelIssuer({ teamSlug: "acme" }));
    const settings = {
      ...SAMPLE_CONFIG,
      VERCEL_TEAM_ID: TEAM_ID,
      OIDC_PROVIDER_ARN: providerArn,
      ...extra,
    };
    writeSettings(settings);
    return { iam, cfn, settings };
  };

  it("refuses, changing nothing, when an output names a role in another account", async () => {
    const { iam, cfn, settings } = await stackSettings({
      KEYLESS_STACK_NAME: "KeylessForged",
      VERCEL_ENVIRONMENTS: "production,preview",
    });
    // What a deploy run can do without any IAM permission: rewrite an output's text.
    const elsewhere = "arn:aws:iam::999999999999:role/KeylessForged-VercelRoleProduction-Evil";
    const template = synthesizeKeylessTemplate(loadInfraConfig(settings));
    const outputs = (template as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    outputs.RoleArnProduction = { ...outputs.RoleArnProduction, Value: elsewhere };
    const created = await createStackAndWait(cfn, { stackName: "KeylessForged", template });
    expect(created.outputs.RoleArnProduction).toBe(elsewhere);

    const token = `vtok_${randomBytes(18).toString("hex")}`;
    const vercel = await startFakeVercel({
      token,
      teamId: TEAM_ID,
      teamSlug: "acme",
      project: PROJECT,
    });
    try {
      const { code, stdout, stderr } = await runAgainst(vercel, token, ["--apply"], cfn);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toContain(
        `output RoleArnProduction names ${elsewhere}, but the stack's own role VercelRoleProduction is arn:aws:iam::123456789012:role/KeylessForged-VercelRoleProduction-`,
      );
      expect(stderr).toContain("pnpm infra:deploy` as an administrator");
      expect(vercel.requests).toEqual([]);
    } finally {
      await vercel.close();
      iam.destroy();
      cfn.destroy();
    }
  });

  it("reads the values from the stack's resources (DescribeStackResources) and sets a custom environment's by its id", async () => {
    const { iam, cfn, settings } = await stackSettings({
      VERCEL_ENVIRONMENTS: "production,preview,staging",
    });
    const config = loadInfraConfig(settings);
    const { outputs } = await createStackAndWait(cfn, {
      stackName: config.stackName,
      template: synthesizeKeylessTemplate(config),
    });
    expect(outputs.RoleArnStaging).toMatch(/^arn:aws:iam::\d{12}:role\//);

    const token = `vtok_${randomBytes(18).toString("hex")}`;
    const vercel = await startFakeVercel({
      token,
      teamId: TEAM_ID,
      teamSlug: "acme",
      project: PROJECT,
      customEnvironments: ["staging"],
    });
    const staging = vercel.customEnvironments[0]?.id;
    // Without the environment in the project: one line naming it and the fix, nothing changed.
    const bare = await startFakeVercel({
      token,
      teamId: TEAM_ID,
      teamSlug: "acme",
      project: PROJECT,
    });
    try {
      const dry = await runAgainst(vercel, token, [], cfn);
      expect(dry.stderr).toBe("");
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain("environments production, preview, staging:");
      expect(dry.stdout).toMatch(
        /\+ create\s+AWS_REGION\s+\[production, preview, staging\]\s+us-east-1$/m,
      );
      expect(dry.stdout).toMatch(/\+ create\s+AWS_ROLE_ARN\s+\[staging\]\s+arn:aws:iam::/);
      expect(dry.stdout).toContain(outputs.RoleArnStaging);
      expect(vercel.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        "GET /v10/projects/web/env",
        "GET /v9/projects/web/custom-environments",
        "GET /v9/projects/web",
      ]);

      const json = await runAgainst(vercel, token, ["--json"], cfn);
      const plan = JSON.parse(json.stdout) as { environments: string[]; steps: unknown[] };
      expect(plan.environments).toEqual(["production", "preview", "staging"]);
      expect(plan.steps).toContainEqual({
        action: "create",
        key: "AWS_ROLE_ARN",
        target: ["staging"],
        value: outputs.RoleArnStaging,
      });
      expect(vercel.envs).toEqual([]);

      const { code, stderr } = await runAgainst(vercel, token, ["--apply"], cfn);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      // Vercel's `target` takes built-in environments only: staging goes by its id.
      const post = vercel.requests.find((r) => r.method === "POST");
      expect(post?.body).toContainEqual({
        key: "AWS_ROLE_ARN",
        value: outputs.RoleArnStaging,
        type: "plain",
        target: [],
        customEnvironmentIds: [staging],
      });
      expect(post?.body).toContainEqual({
        key: "AWS_REGION",
        value: "us-east-1",
        type: "plain",
        target: ["production", "preview"],
        customEnvironmentIds: [staging],
      });
      expect(variablesByTarget(vercel)).toEqual({
        "AWS_REGION:production,preview,staging": "us-east-1",
        "AWS_ROLE_ARN:production": outputs.RoleArnProduction,
        "AWS_ROLE_ARN:preview": outputs.RoleArnPreview,
        "AWS_ROLE_ARN:staging": outputs.RoleArnStaging,
        "S3_BUCKET:production,preview,staging": outputs.BucketName,
        "ENABLE_EXPERIMENTAL_COREPACK:production,preview,staging": "1",
      });
      expect(
        new Set([outputs.RoleArnProduction, outputs.RoleArnPreview, outputs.RoleArnStaging]).size,
      ).toBe(3);

      // Running it again finds nothing to do.
      const seen = vercel.requests.length;
      const again = await runAgainst(vercel, token, ["--apply"], cfn);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/= keep\s+AWS_ROLE_ARN\s+\[staging\]/);
      expect(again.stdout).toContain("already has these values and settings; nothing to change");
      expect(vercel.requests.slice(seen).filter((r) => r.method !== "GET")).toEqual([]);

      for (const argv of [[], ["--apply"], ["--json"]]) {
        const missing = await runAgainst(bare, token, argv, cfn);
        expect(missing.code).toBe(2);
        expect(missing.stdout).toBe("");
        expect(missing.stderr).toBe(
          "VERCEL_ENVIRONMENTS names the custom environment staging, but Vercel project web (team team_k3yl3ss) has no such environment (its custom environments: none). Create it in Vercel → Project → Settings → Environments (Create Environment, named exactly staging), then run pnpm vercel:env again.\n",
        );
      }
      expect(bare.requests.filter((r) => r.method !== "GET")).toEqual([]);

      // A stack that does not exist is named, with the way out.
      writeSettings(settings, "\nKEYLESS_STACK_NAME=Missing");
      const noStack = await runAgainst(vercel, token, [], cfn);
      expect(noStack.code).toBe(1);
      expect(noStack.stderr).toContain(
        "Stack Missing does not exist in us-east-1. Deploy it first (pnpm infra:deploy)",
      );
    } finally {
      await vercel.close();
      await bare.close();
      iam.destroy();
      cfn.destroy();
    }
  });

  it("with KEYLESS_ACCOUNTS reads each account's stack (two moto accounts) and sets each environment's own role and bucket", async () => {
    const PROD = "111111111111";
    const DEV = "222222222222";
    // moto serves an account per request from this header (moto/core/responses.py).
    const inAccount = <T extends IAMClient | CloudFormationClient>(client: T, account: string) => {
      client.middlewareStack.add(
        (next) => (args) => {
          const request = args.request as { headers: Record<string, string> };
          request.headers["x-moto-account-id"] = account;
          return next(args);
        },
        { step: "build", name: "motoAccount" },
      );
      return client;
    };
    const settings = {
      VERCEL_TEAM_SLUG: "acme",
      VERCEL_PROJECT_NAME: "web",
      VERCEL_TEAM_ID: TEAM_ID,
      VERCEL_ENVIRONMENTS: "production,preview",
      AWS_REGION: "us-east-1",
      KEYLESS_ACCOUNTS: `production:${PROD}:prod,preview:${DEV}:dev`,
    };
    writeSettings(settings);
    const clients = new Map<string, CloudFormationClient>();
    const outputsByAccount = new Map<string, Record<string, string>>();
    for (const scoped of accountConfigs(loadInfraConfig(settings))) {
      const account = scoped.account ?? "";
      const iam = inAccount(new IAMClient(moto.clientConfig), account);
      const cfn = inAccount(new CloudFormationClient(moto.clientConfig), account);
      // moto skips AWS::IAM::OIDCProvider in a template: each account's provider made by API.
      const providerArn = await ensureVercelOidcProvider(iam, vercelIssuer({ teamSlug: "acme" }));
      expect(providerArn).toContain(`::${account}:`);
      const { outputs } = await createStackAndWait(cfn, {
        stackName: scoped.stackName,
        template: synthesizeKeylessTemplate({ ...scoped, existingProviderArn: providerArn }),
      });
      iam.destroy();
      clients.set(account, cfn);
      outputsByAccount.set(account, outputs);
    }
    const prod = outputsByAccount.get(PROD) ?? {};
    const dev = outputsByAccount.get(DEV) ?? {};
    expect(prod.RoleArnPreview).toBeUndefined();
    expect(dev.RoleArnProduction).toBeUndefined();

    const token = `vtok_${randomBytes(18).toString("hex")}`;
    const vercel = await startFakeVercel({
      token,
      teamId: TEAM_ID,
      teamSlug: "acme",
      project: PROJECT,
    });
    const asked: (string | undefined)[] = [];
    try {
      const { code, stderr } = await runAgainst(vercel, token, ["--apply"], (account) => {
        asked.push(account);
        const client = clients.get(account ?? "");
        if (!client) throw new Error(`no client for account ${account}`);
        return client;
      });
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(asked).toEqual([PROD, DEV]);
      const set = variablesByTarget(vercel);
      expect(set).toEqual({
        "AWS_REGION:production,preview": "us-east-1",
        "AWS_ROLE_ARN:production": prod.RoleArnProduction,
        "AWS_ROLE_ARN:preview": dev.RoleArnPreview,
        "S3_BUCKET:production": prod.BucketName,
        "S3_BUCKET:preview": dev.BucketName,
        "ENABLE_EXPERIMENTAL_COREPACK:production,preview": "1",
      });
      expect(prod.RoleArnProduction).toContain(`::${PROD}:`);
      expect(dev.RoleArnPreview).toContain(`::${DEV}:`);

      // A production role ARN from the wrong account is refused, naming both accounts.
      const wrong = await runAgainst(
        vercel,
        token,
        ["--role-arn-production", dev.RoleArnPreview ?? ""],
        (account) => clients.get(account ?? "") as CloudFormationClient,
      );
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain(
        `is in account ${DEV}, but KEYLESS_ACCOUNTS puts production in ${PROD}`,
      );
    } finally {
      await vercel.close();
      for (const client of clients.values()) client.destroy();
    }
  });
});

describe("planVercelEnv and the app's own resources", () => {
  it("sets each environment's variable to its own resource, and keeps one already right", () => {
    const steps = planVercelEnv(
      [
        {
          id: "n1",
          key: "NOTES_TABLE",
          type: "plain",
          value: "S-NotesTableProduction-A",
          target: ["production"],
        },
      ],
      {
        environments: ["production", "preview"],
        region: "us-east-1",
        bucket: BUCKET,
        roleArns: { production: ROLE_PRODUCTION, preview: ROLE_PRODUCTION },
        appVariables: {
          production: { NOTES_TABLE: "S-NotesTableProduction-A" },
          preview: { NOTES_TABLE: "S-NotesTablePreview-B" },
        },
      },
    );
    const notes = steps.filter((step) => step.key === "NOTES_TABLE");
    expect(notes).toEqual([
      {
        action: "keep",
        id: "n1",
        key: "NOTES_TABLE",
        value: "S-NotesTableProduction-A",
        target: ["production"],
      },
      { action: "create", key: "NOTES_TABLE", value: "S-NotesTablePreview-B", target: ["preview"] },
    ]);
  });
});

describe("planVercelEnv and endpoint overrides", () => {
  it("deletes AWS_ENDPOINT_URL and every AWS_ENDPOINT_URL_<SERVICE>: on Vercel they send the token away", () => {
    const steps = planVercelEnv(
      [
        {
          id: "e1",
          key: "AWS_ENDPOINT_URL",
          type: "plain",
          value: "https://x.example",
          target: ["production"],
        },
        {
          id: "e2",
          key: "AWS_ENDPOINT_URL_STS",
          type: "plain",
          value: "https://y.example",
          target: ["preview"],
        },
        { id: "e3", key: "AWS_ENDPOINTS_NOTE", type: "plain", value: "kept", target: ["preview"] },
      ],
      {
        environments: ["production"],
        region: "us-east-1",
        bucket: BUCKET,
        roleArns: { production: ROLE_PRODUCTION },
      },
    );
    const deleted = steps.filter((step) => step.action === "delete").map((step) => step.key);
    expect(deleted.sort()).toEqual(["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"]);
    expect(formatPlan(steps)).toMatch(/the OIDC token and all data would go to that host/);
  });
});
