// "Into a CDK app you already have", tested as the README says it: an app laid out the way
// `cdk init app --language typescript` makes one (run through tsx here), whose stack already holds
// a DynamoDB table and a queue; then the README's blocks — the copy command, the lines for the
// stack's constructor (imports to the top, the rest where cdk init says "The code that defines
// your stack goes here"), `cdk synth` with the app's own CDK CLI, and `trust:check --template`
// with the README's claims against the template that synth wrote.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const STACK = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = join(STACK, "..", "..");
const README = readFileSync(join(STACK, "README.md"), "utf8");
const SECTION_TITLE = "### Into a CDK app you already have";
const installed = (name: string): string =>
  (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;

function run(command: string, args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true" };
  for (const key of Object.keys(env)) if (/^(AWS_|VERCEL_|INIT_CWD$)/.test(key)) delete env[key];
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** The fenced blocks of the README's section, de-indented. */
function readmeBlocks(): { lang: string; body: string }[] {
  const start = README.indexOf(SECTION_TITLE);
  expect(start, `README has "${SECTION_TITLE}"`).toBeGreaterThan(-1);
  const end = README.indexOf("\n## ", start);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^( *)```(\w+)\n([\s\S]*?)^ *```$/gm)].map((match) => ({
    lang: match[2] ?? "",
    body: (match[3] ?? "")
      .split("\n")
      .map((line) => line.slice(Math.min(match[1]?.length ?? 0, line.search(/\S|$/))))
      .join("\n"),
  }));
}

const STACK_FILE = "lib/my-cdk-app-stack.ts";
const INIT_MARKER = "// The code that defines your stack goes here";

/** What the user already has: cdk init's layout, and a stack with resources of its own. */
function writeExistingCdkApp(dir: string): void {
  const files: Record<string, string> = {
    "package.json": JSON.stringify(
      {
        name: "my-cdk-app",
        version: "0.1.0",
        private: true,
        bin: { "my-cdk-app": "bin/my-cdk-app.js" },
        scripts: { cdk: "cdk" },
        dependencies: {
          "aws-cdk-lib": installed("aws-cdk-lib"),
          constructs: installed("constructs"),
        },
        devDependencies: {
          "aws-cdk": installed("aws-cdk"),
          tsx: installed("tsx"),
          typescript: installed("typescript"),
          "@types/node": installed("@types/node"),
        },
      },
      null,
      2,
    ),
    "pnpm-workspace.yaml": "allowBuilds:\n  esbuild: true\nupdateNotifier: false\n",
    // Notices and telemetry call the internet on every command; the tests run offline.
    "cdk.json": JSON.stringify({
      app: "npx tsx bin/my-cdk-app.ts",
      notices: false,
      context: { "cli-telemetry": false },
    }),
    "bin/my-cdk-app.ts": `import * as cdk from "aws-cdk-lib";
import { MyCdkAppStack } from "../lib/my-cdk-app-stack";

const app = new cdk.App();
new MyCdkAppStack(app, "MyCdkAppStack", {});
`,
    [STACK_FILE]: `import * as cdk from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

export class MyCdkAppStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const table = new dynamodb.TableV2(this, "Orders", {
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
    });
    new sqs.Queue(this, "OrderEvents");

    ${INIT_MARKER}
  }
}
`,
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

type Template = {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
};
type Decision = { allowed: boolean; role: string | null; reason: string };

describe("the construct copied into a CDK app that already has a stack", {
  timeout: 300_000,
}, () => {
  const parent = mkdtempSync(join(tmpdir(), "keyless-existing-cdk-"));
  const app = join(parent, "my-cdk-app");
  const blocks = readmeBlocks();
  const [copy, stackLines, check, claims] = blocks;
  let template: Template;
  let decisions: Decision[];

  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  beforeAll(() => {
    writeExistingCdkApp(app);
    const install = run("pnpm", ["install", "--prefer-offline"], app);
    expect(install.code, install.output.slice(-2000)).toBe(0);

    // 1. The copy command, as written, from the Keyless checkout.
    const copyLine = copy?.body
      .replace(/\s+#.*$/gm, "")
      .trim()
      .replaceAll("../my-cdk-app", app);
    const [, ...copyArgs] = (copyLine ?? "").split(/\s+/);
    const copied = run("pnpm", copyArgs, REPO_ROOT);
    expect(copied.code, copied.output).toBe(0);

    // 2. The constructor lines: imports to the top (with CfnOutput, as the README says), the rest
    // where cdk init leaves room.
    const lines = (stackLines?.body ?? "").trimEnd().split("\n");
    const imports = lines.filter((line) => line.startsWith("import "));
    const body = lines.filter((line) => !line.startsWith("import ")).join("\n    ");
    const source = readFileSync(join(app, STACK_FILE), "utf8")
      .replace(
        'import * as cdk from "aws-cdk-lib";',
        `import * as cdk from "aws-cdk-lib";\nimport { CfnOutput } from "aws-cdk-lib";\n${imports.join("\n")}`,
      )
      .replace(INIT_MARKER, `${INIT_MARKER}\n    ${body}`);
    writeFileSync(join(app, STACK_FILE), source);

    const synth = run("pnpm", ["exec", "cdk", "synth", "--quiet"], app);
    expect(synth.code, synth.output.slice(-3000)).toBe(0);
    template = JSON.parse(
      readFileSync(join(app, "cdk.out/MyCdkAppStack.template.json"), "utf8"),
    ) as Template;

    // 3. trust:check on that template with the README's claims (run as `pnpm trust:check` runs it).
    writeFileSync(join(parent, "claims.json"), claims?.body ?? "");
    const args = (check?.body ?? "")
      .trim()
      .replaceAll("../my-cdk-app", app)
      .replace("claims.json", join(parent, "claims.json"))
      .split(/\s+/)
      .slice(2); // "pnpm trust:check"
    const checked = run(
      process.execPath,
      ["--import", "tsx", "bin/trust-check.ts", ...args],
      STACK,
    );
    expect(checked.code, checked.output).toBe(0);
    decisions = JSON.parse(checked.output) as Decision[];
  });

  it("gives the steps as blocks: copy, constructor lines, trust:check, claims", () => {
    expect(blocks.map((block) => block.lang)).toEqual(["sh", "ts", "sh", "json"]);
    expect(check?.body).toMatch(/^pnpm trust:check --template \S+ --claims \S+ --json/);
  });

  it("keeps the existing resources and adds the provider, the role and its grant", () => {
    const resources = Object.entries(template.Resources);
    const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
    expect(ofType("AWS::DynamoDB::GlobalTable")).toHaveLength(1);
    expect(ofType("AWS::SQS::Queue")).toHaveLength(1);
    const providers = ofType("AWS::IAM::OIDCProvider");
    expect(providers).toHaveLength(1);
    expect(providers[0]?.[1].Properties).toMatchObject({
      Url: "https://oidc.vercel.com/acme",
      ClientIdList: ["https://vercel.com/acme"],
    });
    const roles = ofType("AWS::IAM::Role").filter(([id]) => id.startsWith("VercelProductionRole"));
    expect(roles).toHaveLength(1);
    const trust = JSON.stringify(roles[0]?.[1].Properties.AssumeRolePolicyDocument);
    expect(trust).toContain(
      '"oidc.vercel.com/acme:sub":"owner:acme:project:web:environment:production"',
    );
    const grants = JSON.stringify(ofType("AWS::IAM::Policy").map(([, p]) => p.Properties));
    expect(grants).toContain("dynamodb:PutItem");
    expect(Object.keys(template.Outputs ?? {})).toContain("VercelRoleArn");
  });

  it("trust:check --template decides the README's claims against the synthesized roles", () => {
    expect(decisions).toHaveLength(2);
    expect(decisions[0]?.allowed).toBe(true);
    expect(decisions[0]?.role).toMatch(/^VercelProductionRole/);
    expect(decisions[1]).toMatchObject({ allowed: false, role: null });
    expect(decisions[1]?.reason).toContain("environment:preview");
  });
});
