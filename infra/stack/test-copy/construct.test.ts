// "Copy the construct into another CDK app", tested: `pnpm copy:construct <dir>` writes
// vercel-naming.ts and vercel-oidc.ts into a plain CDK app's lib/, which installs only aws-cdk-lib
// and constructs (the versions the command prints), typechecks and synthesizes the provider and
// the roles. Its own turbo task (test:copy): it reruns only when this workspace changes.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const STACK = fileURLToPath(new URL("..", import.meta.url));
const COPY_SCRIPT = join(STACK, "bin/copy-construct.mjs");
/** The version this workspace has installed: the plain app runs on the same tools. */
const installed = (name: string): string =>
  (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;

function run(command: string, args: string[], cwd: string): { code: number; output: string } {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true", INIT_CWD: cwd },
  });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

const dir = mkdtempSync(join(tmpdir(), "keyless-cdk-construct-copy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The copy's app: the construct file under lib/, used the way its comments say.
const PLAIN_CDK_APP = `import { App, Stack } from "aws-cdk-lib";
import { VercelAppBucket, VercelOidcProvider, VercelOidcRole, vercelBrowserOrigins } from "./lib/vercel-oidc";

const app = new App({ outdir: "cdk.out" });

const fresh = new Stack(app, "NewProvider", { env: { region: "eu-west-1" } });
const provider = new VercelOidcProvider(fresh, "Provider", { teamSlug: "acme" });
const environments = ["production", "preview"] as const;
const bucket = new VercelAppBucket(fresh, "Bucket", {
  browserOrigins: vercelBrowserOrigins({ teamSlug: "acme", projectName: "web", environments }),
});
for (const environment of environments) {
  const role = new VercelOidcRole(fresh, \`Role-\${environment}\`, { provider, projectName: "web", environment });
  bucket.grantEnvironmentData(role, environment);
}

const reused = new Stack(app, "ExistingProvider", { env: { region: "eu-west-1" } });
const existing = VercelOidcProvider.fromProviderArn(
  reused,
  "Provider",
  "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/acme",
  { teamSlug: "acme" },
);
new VercelOidcRole(reused, "Role", { provider: existing, projectName: "web", environment: "production" });

const assembly = app.synth();
console.log(JSON.stringify(Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template]))));
`;

const PLAIN_TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    module: "esnext",
    moduleResolution: "bundler",
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  },
  include: ["*.ts", "lib"],
};

type Template = {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

describe("the CDK construct file copied into a plain CDK app", { timeout: 300_000 }, () => {
  let templates: Record<string, Template>;
  let printed: string;

  beforeAll(() => {
    const copied = run(process.execPath, [COPY_SCRIPT, "lib"], dir);
    expect(copied.code, copied.output).toBe(0);
    printed = copied.output;
    // The dependencies exactly as the command printed them, plus what runs the app.
    const needs = Object.fromEntries(
      [...printed.matchAll(/((?:@[\w-]+\/)?[\w.-]+)@(\d[\w.-]*)/g)].map((m) => [m[1], m[2]]),
    );
    const pkg = {
      name: "plain-cdk-app",
      private: true,
      type: "module",
      dependencies: { ...needs, tsx: installed("tsx") },
      devDependencies: {
        typescript: installed("typescript"),
        "@types/node": installed("@types/node"),
      },
    };
    writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
    writeFileSync(
      join(dir, "pnpm-workspace.yaml"),
      "allowBuilds:\n  esbuild: true\nupdateNotifier: false\n",
    );
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(PLAIN_TSCONFIG, null, 2));
    writeFileSync(join(dir, "app.ts"), PLAIN_CDK_APP);
    const install = run("pnpm", ["install", "--prefer-offline", "--no-frozen-lockfile"], dir);
    expect(install.output.slice(-2000), "pnpm install").not.toMatch(/ERR_PNPM/);
    expect(install.code).toBe(0);

    const synth = run("pnpm", ["exec", "tsx", "app.ts"], dir);
    expect(synth.code, synth.output.slice(-3000)).toBe(0);
    const json = synth.output.split("\n").find((line) => line.startsWith("{"));
    templates = JSON.parse(json ?? "{}");
  });

  it("needs nothing but aws-cdk-lib, constructs and each other", () => {
    expect(printed).toMatch(/npm install aws-cdk-lib@\S+ constructs@\S+/);
    for (const file of ["vercel-naming.ts", "vercel-oidc.ts"]) {
      const imports = [
        ...readFileSync(join(dir, "lib", file), "utf8").matchAll(/from "([^"]+)"/g),
      ].map((m) => m[1]);
      for (const source of imports) {
        expect(source).toMatch(/^(aws-cdk-lib(\/[\w-]+)?|constructs|\.\/vercel-naming)$/);
      }
    }
  });

  it("typechecks in the plain app", () => {
    const result = run("pnpm", ["exec", "tsc", "--noEmit", "-p", "."], dir);
    expect(result.output).not.toMatch(/error TS\d+/);
    expect(result.code).toBe(0);
  });

  it("synthesizes the native OIDC provider and one role per environment pinned by sub and aud", () => {
    const resources = Object.values(templates.NewProvider?.Resources ?? {});
    const providers = resources.filter((r) => r.Type === "AWS::IAM::OIDCProvider");
    expect(providers).toHaveLength(1);
    expect(providers[0]?.Properties).toMatchObject({
      Url: "https://oidc.vercel.com/acme",
      ClientIdList: ["https://vercel.com/acme"],
    });
    const trusted = resources
      .filter((r) => r.Type === "AWS::IAM::Role")
      .map((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument));
    expect(trusted).toHaveLength(2);
    for (const environment of ["production", "preview"]) {
      const policy = trusted.find((p) => p.includes(`environment:${environment}"`));
      expect(policy).toContain('"oidc.vercel.com/acme:aud":"https://vercel.com/acme"');
      expect(policy).toContain(
        `"oidc.vercel.com/acme:sub":"owner:acme:project:web:environment:${environment}"`,
      );
      expect(policy).toContain('"Action":"sts:AssumeRoleWithWebIdentity"');
    }
    expect(resources.filter((r) => r.Type === "AWS::S3::Bucket").length).toBeGreaterThanOrEqual(1);
  });

  it("reuses an existing provider by ARN without creating another", () => {
    const resources = Object.values(templates.ExistingProvider?.Resources ?? {});
    expect(resources.some((r) => r.Type === "AWS::IAM::OIDCProvider")).toBe(false);
    const role = resources.find((r) => r.Type === "AWS::IAM::Role");
    expect(JSON.stringify(role?.Properties.AssumeRolePolicyDocument)).toContain(
      '"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/acme"',
    );
  });
});
