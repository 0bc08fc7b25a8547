// The `aws-auth` CLI as users run it: a separate process, its stdout and exit code.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createIssuer } from "./helpers/issuer";

const BIN = fileURLToPath(new URL("../bin/aws-auth.mjs", import.meta.url));
const issuer = await createIssuer();
// The run's one moto (test/helpers/moto.ts); this file's role has a name of its own.
const moto = { endpoint: inject("motoEndpoint") };
let refusing: Server;
let refusingEndpoint: string;
let roleArn: string;
const home = mkdtempSync(join(tmpdir(), "aws-auth-cli-"));

function run(args: string[], env: Record<string, string>, cwd?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: home, ...env }, timeout: 60_000, cwd },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Asserts that no token, secret key or session token leaked into text. */
function expectNoSecrets(text: string, token?: string) {
  expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
  if (token) expect(text).not.toContain(token);
  expect(text).not.toMatch(/secretAccessKey|sessionToken|SecretAccessKey|SessionToken/);
}

beforeAll(async () => {
  const iam = new IAMClient({
    region: "us-east-1",
    endpoint: moto.endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: "KeylessCliProduction", AssumeRolePolicyDocument: "{}" }),
  );
  roleArn = role.Role?.Arn as string;
  refusing = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(403, { "content-type": "text/xml" });
      res.end(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>0d1c2b3a-0000-4000-8000-000000000000</RequestId></ErrorResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
  refusingEndpoint = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => refusing?.close(resolve));
});

describe("aws-auth doctor", () => {
  it("explains an empty environment and exits 0", async () => {
    const { code, stdout } = await run(["doctor"], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/mode\s+none/);
    expect(stdout).toContain("Neither AWS_ROLE_ARN nor AWS_PROFILE is set");
    expect(stdout).toContain("pnpm dev");
  });

  it("explains a profile environment and shows the identity", async () => {
    const config = join(home, "config");
    const credentials = join(home, "credentials");
    writeFileSync(config, "[profile dev]\nregion = us-east-1\n");
    writeFileSync(
      credentials,
      "[dev]\naws_access_key_id = AKIDMOTOTEST\naws_secret_access_key = motoSecretValue123\n",
    );
    const env = {
      AWS_PROFILE: "dev",
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_ENDPOINT_URL: moto.endpoint,
    };
    const text = await run(["doctor"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/mode\s+profile/);
    expect(text.stdout).toMatch(/identity\s+arn:aws:/);
    expect(text.stdout).not.toContain("motoSecretValue123");
    const json = await run(["doctor", "--json"], env);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      ok: true,
      mode: "profile",
      profile: "dev",
      region: "us-east-1",
    });
    expect(json.stdout).not.toContain("motoSecretValue123");
  });

  it("names a missing profile", async () => {
    writeFileSync(join(home, "config2"), "[profile dev]\nregion = us-east-1\n");
    const { code, stdout } = await run(["doctor"], {
      AWS_PROFILE: "ghost",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: join(home, "config2"),
      AWS_SHARED_CREDENTIALS_FILE: join(home, "nothing"),
    });
    expect(code).toBe(1);
    expect(stdout).toContain("AWS_PROFILE=ghost is not defined");
    expect(stdout).toContain("dev");
  });

  it("in OIDC mode prints the token's claims, never the token", async () => {
    const token = await issuer.mint({ environment: "development" });
    const { code, stdout, stderr } = await run(["doctor", "--json"], {
      VERCEL_OIDC_TOKEN: token,
      AWS_ROLE_ARN: roleArn,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: moto.endpoint,
    });
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.mode).toBe("vercel-oidc");
    expect(report.token.sub).toBe("owner:acme:project:web:environment:development");
    expect(report.identity.arn).toContain(
      "assumed-role/KeylessCliProduction/vercel-development-local",
    );
    // How long the token and the credentials have left, in the JSON and in the text.
    expect(report.lifetimes.tokenSecondsLeft).toBeGreaterThan(3000);
    expect(report.lifetimes.credentialsSecondsLeft).toBeGreaterThan(0);
    expectNoSecrets(stdout + stderr, token);
    const text = await run(["doctor"], {
      VERCEL_OIDC_TOKEN: token,
      AWS_ROLE_ARN: roleArn,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: moto.endpoint,
    });
    expect(text.stdout).toMatch(/expires \S+ \(\d+ min \d+ s left\)/);
    expect(text.stdout).toMatch(/credentials expire in \d+/);
  });

  it("finds an expired VERCEL_OIDC_TOKEN in .env files and names the one that wins", async () => {
    const project = mkdtempSync(join(tmpdir(), "aws-auth-stale-"));
    writeFileSync(join(project, "pnpm-workspace.yaml"), "packages: []\n");
    const old = await issuer.mint({
      environment: "development",
      issuedAt: Math.floor(Date.now() / 1000) - 13 * 3600,
      lifetimeSeconds: 12 * 3600,
    });
    writeFileSync(join(project, ".env.local"), `VERCEL_OIDC_TOKEN="${old}"\n`);
    writeFileSync(join(project, ".env"), `VERCEL_OIDC_TOKEN="${await issuer.mint()}"\n`);
    const { stdout, stderr } = await run(["doctor"], { AWS_REGION: "us-east-1" }, project);
    expect(stdout).toMatch(/VERCEL_OIDC_TOKEN in \.env\.local expired at \S+: the app reads it/);
    expect(stdout).toContain("Also defined in: .env (valid until");
    expect(stdout).toContain("fix: Delete VERCEL_OIDC_TOKEN from .env.local");
    expectNoSecrets(stdout + stderr, old);
  });

  it("from the workspace root, diagnoses the app under apps/ with the env files it reads, and names the file", async () => {
    const workspace = mkdtempSync(join(tmpdir(), "aws-auth-root-"));
    writeFileSync(join(workspace, "pnpm-workspace.yaml"), "packages: [apps/*]\n");
    const web = join(workspace, "apps", "web");
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, "next.config.ts"), "export default {};\n");
    writeFileSync(
      join(web, "package.json"),
      JSON.stringify({ name: "web", dependencies: { "@repo/aws-auth": "workspace:*" } }),
    );
    // Another app that does not use this package is not a candidate.
    mkdirSync(join(workspace, "apps", "docs"));
    writeFileSync(join(workspace, "apps", "docs", "next.config.ts"), "export default {};\n");
    writeFileSync(
      join(workspace, "apps", "docs", "package.json"),
      JSON.stringify({ name: "docs" }),
    );
    const expired = await issuer.mint({
      environment: "development",
      issuedAt: Math.floor(Date.now() / 1000) - 13 * 3600,
      lifetimeSeconds: 12 * 3600,
    });
    writeFileSync(
      join(web, ".env.local"),
      `VERCEL_OIDC_TOKEN="${expired}"\nAWS_ROLE_ARN=${roleArn}\n`,
    );
    // The root .env fills in what the app's files leave out, as the template's app does.
    writeFileSync(join(workspace, ".env"), "AWS_REGION=us-east-1\nAWS_ROLE_ARN=\n");

    const { stdout, stderr } = await run(["doctor", "--json"], {}, workspace);
    const report = JSON.parse(stdout);
    expect(report.app).toEqual({ dir: "apps/web", envFiles: ["apps/web/.env.local", ".env"] });
    expect(report.mode).toBe("vercel-oidc");
    expect(report.region).toBe("us-east-1");
    expect(report.token.expired).toBe(true);
    const finding = report.findings.find(
      (f: { code: string }) => f.code === "vercel-token-expired",
    );
    expect(finding.message).toContain("It comes from apps/web/.env.local.");
    expectNoSecrets(stdout + stderr, expired);

    const text = await run(["doctor"], {}, workspace);
    expect(text.stdout.split("\n")[0]).toBe(
      "app       apps/web (env files: apps/web/.env.local, .env)",
    );
    // Run in the app's own folder, the same app and files.
    const inApp = JSON.parse((await run(["doctor", "--json"], {}, web)).stdout);
    expect(inApp.app).toEqual({ dir: ".", envFiles: [".env.local", "../../.env"] });
  });

  it("rejects unknown options with exit 2", async () => {
    const { code, stderr } = await run(["doctor", "--jsno"], {});
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option --jsno");
  });
});

describe("aws-auth preflight", () => {
  const vercelBuild = (token: string, extra: Record<string, string> = {}) => ({
    VERCEL: "1",
    VERCEL_ENV: "production",
    VERCEL_DEPLOYMENT_ID: "dpl_preflight1",
    VERCEL_OIDC_TOKEN: token,
    AWS_ROLE_ARN: roleArn,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: moto.endpoint,
    ...extra,
  });

  it("is a no-op off Vercel", async () => {
    const { code, stdout } = await run(["preflight"], {});
    expect(code).toBe(0);
    expect(stdout).toContain("not on Vercel");
  });

  it("proves the role in the build log", async () => {
    const token = await issuer.mint();
    const { code, stdout } = await run(["preflight"], vercelBuild(token));
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /ok — mode vercel-oidc, assumed arn:aws:sts::\d{12}:assumed-role\/KeylessCliProduction\/vercel-production-dpl_preflight1/,
    );
    expectNoSecrets(stdout, token);
  });

  it("lets the first production build through when nothing is configured yet", async () => {
    // The Deploy button's first build: VERCEL_ENV=production, the stack not deployed yet.
    const token = await issuer.mint();
    const first = { VERCEL: "1", VERCEL_ENV: "production", VERCEL_OIDC_TOKEN: token };
    const { code, stdout } = await run(["preflight"], first);
    expect(code).toBe(0);
    expect(stdout).toContain("warning — no AWS_ROLE_ARN yet");
    expect(stdout).toContain("pnpm vercel:env --apply");
    expectNoSecrets(stdout, token);
    const strict = await run(["preflight"], { ...first, KEYLESS_PREFLIGHT: "strict" });
    expect(strict.code).toBe(1);
  });

  it("fails a production build on a trust error, warns on preview", async () => {
    const token = await issuer.mint({ environment: "preview" });
    const production = await run(
      ["preflight"],
      vercelBuild(token, { AWS_ENDPOINT_URL: refusingEndpoint }),
    );
    expect(production.code).toBe(1);
    expect(production.stdout).toContain(
      "FAILED — Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    expect(production.stdout).toContain("environment:preview");
    expectNoSecrets(production.stdout, token);
    const preview = await run(
      ["preflight"],
      vercelBuild(token, { AWS_ENDPOINT_URL: refusingEndpoint, VERCEL_ENV: "preview" }),
    );
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("warning — Not authorized");
  });
});

describe("aws-auth preflight with an unknown KEYLESS_PREFLIGHT", () => {
  it("fails instead of silently turning the production gate off", async () => {
    const { code, stdout } = await run(["preflight"], { KEYLESS_PREFLIGHT: "stirct" });
    expect(code).toBe(1);
    expect(stdout).toMatch(/KEYLESS_PREFLIGHT="stirct" is not one of strict, warn, off/);
  });
});
