// "Copy into an existing repo", tested: packages/aws-auth copied alone into a plain project
// installs its declared dependencies, typechecks and passes its own tests; the CDK construct file
// copied alone into a plain CDK app synthesizes the provider and the roles.
// Installs use `pnpm install --prefer-offline`: with the store the workspace install filled
// (this machine, CI) they need no network.

import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const INFRA = join(REPO, "infra/stack");
const AWS_AUTH = join(REPO, "packages/aws-auth");
const CONSTRUCT_FILE = join(INFRA, "src/vercel-oidc.ts");

type PackageJson = {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
};

/** The `catalog:` block of pnpm-workspace.yaml (flat `name: version` lines). Read by hand: the
 * block is that simple, and the workspace has no YAML parser to lean on. */
function workspaceCatalog(): Record<string, string> {
  const catalog: Record<string, string> = {};
  let inCatalog = false;
  for (const line of readFileSync(join(REPO, "pnpm-workspace.yaml"), "utf8").split("\n")) {
    if (/^catalog:\s*$/.test(line)) {
      inCatalog = true;
      continue;
    }
    if (inCatalog && /^\S/.test(line)) break;
    const entry = /^\s+["']?([^"':\s]+)["']?:\s*["']?([^"'\s#]+)["']?/.exec(line);
    if (inCatalog && entry?.[1] && entry[2]) catalog[entry[1]] = entry[2];
  }
  return catalog;
}

/** Every `catalog:` version pinned to the workspace's; a `workspace:` dependency is a failure. */
function asPlainProject(pkg: PackageJson, catalog: Record<string, string>): PackageJson {
  const pin = (deps: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries(deps).map(([name, version]) => {
        if (version.startsWith("workspace:")) {
          throw new Error(`${name} is a workspace package: the copy would not install`);
        }
        if (version !== "catalog:") return [name, version];
        const pinned = catalog[name];
        if (!pinned) throw new Error(`${name} is "catalog:" but pnpm-workspace.yaml has no entry`);
        return [name, pinned];
      }),
    );
  return { ...pkg, dependencies: pin(pkg.dependencies), devDependencies: pin(pkg.devDependencies) };
}

/** pnpm 12 refuses unapproved build scripts; a plain project approves esbuild (tsx, vitest). */
const PLAIN_PNPM_SETTINGS = "allowBuilds:\n  esbuild: true\nupdateNotifier: false\n";

function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // CI=true keeps pnpm from prompting; --no-frozen-lockfile because a fresh copy has no lockfile.
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: "true" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

async function install(dir: string) {
  const result = await run("pnpm", ["install", "--prefer-offline", "--no-frozen-lockfile"], dir);
  expect(result.output.slice(-2000), "pnpm install").not.toMatch(/ERR_PNPM/);
  expect(result.code).toBe(0);
}

const temporaries: string[] = [];
const temporary = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `keyless-${name}-`));
  temporaries.push(dir);
  return dir;
};
// Hooks get the same roomy limit as the tests: installs and node_modules removal are slow on a
// busy 2-core machine.
const HOOK_TIMEOUT = 300_000;
afterAll(() => {
  for (const dir of temporaries) rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT);

describe("packages/aws-auth copied into a plain project", { timeout: 300_000 }, () => {
  let dir: string;

  beforeAll(async () => {
    dir = temporary("aws-auth-copy");
    cpSync(AWS_AUTH, dir, {
      recursive: true,
      filter: (source) => !["node_modules", ".turbo", "coverage"].includes(basename(source)),
    });
    const pkg = JSON.parse(readFileSync(join(AWS_AUTH, "package.json"), "utf8")) as PackageJson;
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify(asPlainProject(pkg, workspaceCatalog()), null, 2),
    );
    writeFileSync(join(dir, "pnpm-workspace.yaml"), PLAIN_PNPM_SETTINGS);
    await install(dir);
  }, HOOK_TIMEOUT);

  it("depends on no workspace package and pins every version", () => {
    const copied = readFileSync(join(dir, "package.json"), "utf8");
    expect(copied).not.toContain("workspace:");
    expect(copied).not.toContain("catalog:");
    expect(readFileSync(join(dir, "tsconfig.json"), "utf8")).not.toContain("@repo/");
  });

  it("typechecks on its own (pnpm run typecheck)", async () => {
    const result = await run("pnpm", ["run", "typecheck"], dir);
    expect(result.output).not.toMatch(/error TS\d+/);
    expect(result.code).toBe(0);
  });

  it("passes its own tests (pnpm run test)", async () => {
    const result = await run("pnpm", ["run", "test"], dir);
    expect(result.output).toMatch(/Test Files\s.*\d+ passed/);
    expect(result.output).not.toMatch(/Test Files\s.*failed/);
    expect(result.code).toBe(0);
  });
});

// The copy's app: the construct file under lib/, used the way its comments say.
const PLAIN_CDK_APP = `import { App, Stack } from "aws-cdk-lib";
import { VercelAppBucket, VercelOidcProvider, VercelOidcRole } from "./lib/vercel-oidc";

const app = new App({ outdir: "cdk.out" });

const fresh = new Stack(app, "NewProvider", { env: { region: "eu-west-1" } });
const provider = new VercelOidcProvider(fresh, "Provider", { teamSlug: "acme" });
const bucket = new VercelAppBucket(fresh, "Bucket");
for (const environment of ["production", "preview"] as const) {
  const role = new VercelOidcRole(fresh, \`Role-\${environment}\`, { provider, projectName: "web", environment });
  bucket.grantObjectReadWrite(role);
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
  let dir: string;
  let templates: Record<string, Template>;

  beforeAll(async () => {
    dir = temporary("cdk-construct-copy");
    cpSync(CONSTRUCT_FILE, join(dir, "lib/vercel-oidc.ts"));
    const infra = JSON.parse(readFileSync(join(INFRA, "package.json"), "utf8")) as PackageJson;
    const catalog = workspaceCatalog();
    const version = (name: string) =>
      infra.dependencies?.[name] ?? infra.devDependencies?.[name] ?? "";
    const pkg = asPlainProject(
      {
        name: "plain-cdk-app",
        private: true,
        type: "module",
        dependencies: {
          "aws-cdk-lib": version("aws-cdk-lib"),
          constructs: version("constructs"),
          tsx: "catalog:",
        },
        devDependencies: { typescript: "catalog:", "@types/node": "catalog:" },
      },
      catalog,
    );
    writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
    writeFileSync(join(dir, "pnpm-workspace.yaml"), PLAIN_PNPM_SETTINGS);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(PLAIN_TSCONFIG, null, 2));
    writeFileSync(join(dir, "app.ts"), PLAIN_CDK_APP);
    await install(dir);

    const synth = await run("pnpm", ["exec", "tsx", "app.ts"], dir);
    expect(synth.code, synth.output.slice(-3000)).toBe(0);
    const json = synth.output.split("\n").find((line) => line.startsWith("{"));
    templates = JSON.parse(json ?? "{}");
  }, HOOK_TIMEOUT);

  it("needs nothing but aws-cdk-lib and constructs", () => {
    const imports = [...readFileSync(CONSTRUCT_FILE, "utf8").matchAll(/from "([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(imports.length).toBeGreaterThan(0);
    for (const source of imports) expect(source).toMatch(/^(aws-cdk-lib(\/[\w-]+)?|constructs)$/);
  });

  it("typechecks in the plain app", async () => {
    const result = await run("pnpm", ["exec", "tsc", "--noEmit", "-p", "."], dir);
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
