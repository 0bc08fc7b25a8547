// docs/add-a-resource.md, applied as written to a fresh copy of the template: every step marked
// `<!-- apply: … -->` (edits, the new route, the install command), then what the page claims,
// checked with the copy's own commands against its sandbox — the stack synthesizes with one table
// per environment, trust:check shows each role its own table and the deploy role able to deploy
// them, `pnpm dev` deploys them and the route writes and reads production's notes, a preview
// role is refused production's table (the sandbox's gateway decides DynamoDB per table: moto
// checks it against "*" only), and `pnpm verify --sandbox` passes until the preview role is
// widened to production's table, then names the statement.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/root.mjs";
import { cloneAsCreated, runIn } from "../test/helpers/clone";

interface Step {
  readonly kind: "insert-before" | "replace" | "create" | "run";
  readonly file?: string;
  readonly anchor?: string;
  readonly body: string;
}

const STEP =
  /<!-- apply: (insert-before|replace|create|run)(?: ([^|\s]+)(?: \| (.+?))?)? -->\s*```\w*\n([\s\S]*?)```/g;

/** The page's steps, in order. */
function docSteps(markdown: string): Step[] {
  return [...markdown.matchAll(STEP)].map(([, kind, file, anchor, body]) => ({
    kind: kind as Step["kind"],
    ...(file ? { file } : {}),
    ...(anchor ? { anchor } : {}),
    body: body ?? "",
  }));
}

function applyStep(repo: string, step: Step): void {
  if (step.kind === "run") {
    for (const line of step.body.split("\n").filter((l) => l.trim() !== "")) {
      runIn(repo, "sh", ["-c", line], 600_000);
    }
    return;
  }
  const path = join(repo, step.file ?? "");
  if (step.kind === "create") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, step.body);
    return;
  }
  const text = readFileSync(path, "utf8");
  const anchor = step.anchor ?? "";
  // One exact occurrence: a page whose anchor drifted from the file must fail here, not apply twice.
  expect(text.split(anchor).length - 1, `${step.file} has "${anchor}" once`).toBe(1);
  writeFileSync(
    path,
    step.kind === "replace"
      ? text.replace(anchor, step.body.trimEnd())
      : text.replace(anchor, `${step.body}${anchor}`),
  );
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    // Below Linux's ephemeral range, so no outgoing connection takes it in the meantime.
    server.listen(20_000 + Math.floor(Math.random() * 11_000), "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });

const killGroup = (child: ChildProcess | undefined) => {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
};

/** A script run by the copy's node from one of its workspaces (so it imports their packages). */
const nodeIn = (repo: string, workspace: string, script: string, env: Record<string, string>) =>
  execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: join(repo, workspace),
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });

/** The sandbox's app.env, read with Node's own dotenv parser. */
const dotenv = (text: string) => parseEnv(text) as Record<string, string>;

describe("docs/add-a-resource.md, applied to a fresh copy", () => {
  let repo = "";
  let stateDir = "";
  let dev: ChildProcess | undefined;
  let devOutput = "";
  let app = "";
  let steps: Step[] = [];
  const env = () => ({
    ...process.env,
    KEYLESS_SANDBOX_DIR: stateDir,
    AWS_ROLE_ARN: "",
    AWS_PROFILE: "",
    CI: "true",
    NO_COLOR: "1",
  });
  const pnpmIn = (args: string[]) =>
    execFileSync("pnpm", args, {
      cwd: repo,
      encoding: "utf8",
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000,
    });
  const pnpmStatus = (args: string[]) => {
    try {
      const stdout = pnpmIn(args);
      return { status: 0, stdout, output: stdout };
    } catch (error) {
      const failed = error as { status?: number; stdout?: string; stderr?: string };
      const stdout = failed.stdout ?? "";
      return { status: failed.status ?? 1, stdout, output: `${stdout}${failed.stderr ?? ""}` };
    }
  };

  beforeAll(() => {
    repo = cloneAsCreated();
    stateDir = mkdtempSync(join(tmpdir(), "keyless-add-resource-sandbox-"));
    // The owner's configuration: two environments, and the GitHub deploy role on.
    writeFileSync(
      join(repo, ".env"),
      [
        "VERCEL_TEAM_SLUG=acme",
        "VERCEL_PROJECT_NAME=web",
        "AWS_REGION=us-east-1",
        "VERCEL_ENVIRONMENTS=production,preview",
        "KEYLESS_GITHUB_REPOSITORY=acme/keyless",
        "",
      ].join("\n"),
    );
    runIn(repo, "pnpm", ["install", "--offline", "--frozen-lockfile"], 600_000);
    steps = docSteps(readFileSync(join(ROOT, "docs", "add-a-resource.md"), "utf8"));
    expect(steps.map((step) => step.kind)).toEqual(["insert-before", "replace", "run", "create"]);
    for (const step of steps) applyStep(repo, step);
  }, 900_000);

  it("adds the route the page shows, and declares the table where the page says", () => {
    // tooling/docs allow-lists this path as the worked example's: it exists once the steps ran.
    const route = readFileSync(join(repo, "apps/web/app/api/notes/route.ts"), "utf8");
    expect(route).toContain('appResourceName("NOTES_TABLE")');
    const declared = readFileSync(join(repo, "infra/stack/src/app-resources.ts"), "utf8");
    expect(declared).toMatch(
      /^import \{ AttributeType, BillingMode, Table \} from "aws-cdk-lib\/aws-dynamodb";$/m,
    );
    expect(declared).toContain('id: "NotesTable"');
    expect(declared).not.toContain("readonly AppResource[] = [];");
  });

  afterAll(() => {
    killGroup(dev);
    if (repo) rmSync(repo, { recursive: true, force: true });
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("typechecks, and the files it changed lint as the template's own code", () => {
    pnpmIn(["--filter", "@repo/infra", "--filter", "@repo/web", "run", "typecheck"]);
    const lint = pnpmStatus([
      "exec",
      "biome",
      "ci",
      "--diagnostic-level=error",
      ...new Set(steps.flatMap((step) => (step.file ? [step.file] : []))),
    ]);
    expect(lint.output).not.toMatch(/Found \d+ errors?/);
    expect(lint.status).toBe(0);
  });

  it("trust:check: each role its own table only, the deploy role may deploy both", () => {
    const output = pnpmIn(["trust:check"]);
    const rows = output
      .split("\n")
      .filter((line) => /NotesTable(Production|Preview)/.test(line))
      .map((line) =>
        line
          .trim()
          .split(/\s{2,}/)
          .slice(0, 4)
          .join(" | "),
      );
    expect(rows).toEqual([
      "ok | production role | NotesTableProduction | allowed",
      "ok | preview role | NotesTableProduction | denied",
      "ok | GitHub deploy role | NotesTableProduction | allowed",
      "ok | production role | NotesTablePreview | denied",
      "ok | preview role | NotesTablePreview | allowed",
      "ok | GitHub deploy role | NotesTablePreview | allowed",
    ]);
    expect(output).toMatch(/All \d+ decisions match the configuration\./);
  });

  it("pnpm dev deploys the tables to the sandbox, and the route writes and reads production's notes", async () => {
    const port = await freePort();
    app = `http://127.0.0.1:${port}`;
    dev = spawn("pnpm", ["dev", "--", "--port", String(port)], {
      cwd: repo,
      env: env(),
      detached: true,
    });
    dev.stdout?.on("data", (chunk: Buffer) => (devOutput += chunk.toString()));
    dev.stderr?.on("data", (chunk: Buffer) => (devOutput += chunk.toString()));
    await expect
      .poll(() => (dev?.exitCode === null ? devOutput : `exited: ${devOutput}`), {
        timeout: 300_000,
        interval: 500,
      })
      .toMatch(/Ready in|^exited/);
    expect(devOutput).toMatch(/Ready in/);

    const appEnv = dotenv(readFileSync(join(stateDir, "app.env"), "utf8"));
    expect(appEnv.NOTES_TABLE).toMatch(/^KeylessVercelOidc-NotesTableProduction-/);

    const created = await fetch(`${app}/api/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hello from production" }),
      signal: AbortSignal.timeout(120_000),
    });
    const createdBody = (await created.json()) as { id: string };
    expect({ status: created.status, body: createdBody }).toMatchObject({ status: 201 });
    const read = await fetch(`${app}/api/notes?id=${createdBody.id}`, {
      signal: AbortSignal.timeout(60_000),
    });
    expect(await read.json()).toEqual({ id: createdBody.id, text: "hello from production" });
    const missing = await fetch(`${app}/api/notes?id=${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
  }, 420_000);

  it("a preview role is refused production's table, and reaches its own", () => {
    const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8"));
    const appEnv = dotenv(readFileSync(join(stateDir, "app.env"), "utf8"));
    const token = pnpmIn(["--silent", "sandbox", "token", "--environment", "preview"]).trim();
    const script = `
      import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
      import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
      const { ENDPOINT: endpoint, REGION: region } = process.env;
      const sts = new STSClient({ region, endpoint });
      const { Credentials: c } = await sts.send(new AssumeRoleWithWebIdentityCommand({
        RoleArn: process.env.ROLE_ARN, RoleSessionName: "preview-test", WebIdentityToken: process.env.TOKEN,
      }));
      const dynamodb = new DynamoDBClient({ region, endpoint, maxAttempts: 1, credentials: {
        accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
      const outcome = (p) => p.then(() => "succeeded", (e) => e.name + ": " + e.message);
      const admin = new DynamoDBClient({ region, endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
      const own = (await admin.send(new ListTablesCommand({}))).TableNames.find((n) => n.includes("NotesTablePreview"));
      console.log(JSON.stringify({
        production: await outcome(dynamodb.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: "x" } } }))),
        productionWrite: await outcome(dynamodb.send(new PutItemCommand({ TableName: process.env.TABLE, Item: { id: { S: "x" } } }))),
        own: await outcome(dynamodb.send(new PutItemCommand({ TableName: own, Item: { id: { S: "x" } } }))),
      }));
    `;
    const result = JSON.parse(
      nodeIn(repo, "apps/web", script, {
        ENDPOINT: state.endpoint,
        REGION: state.region,
        ROLE_ARN: state.roleArns.preview,
        TOKEN: token,
        TABLE: appEnv.NOTES_TABLE ?? "",
      }),
    );
    expect(result.production).toMatch(
      /^AccessDeniedException: User: .*VercelRolePreview.* is not authorized to perform: dynamodb:GetItem on resource: .*table\/KeylessVercelOidc-NotesTableProduction-/,
    );
    expect(result.productionWrite).toMatch(/^AccessDeniedException: .*dynamodb:PutItem/);
    expect(result.own).toBe("succeeded");
    // What `pnpm vercel:local` gives each environment's deployment, from the sandbox's state.
    expect(state.appVariables).toEqual({
      production: { NOTES_TABLE: appEnv.NOTES_TABLE },
      preview: { NOTES_TABLE: expect.stringMatching(/^KeylessVercelOidc-NotesTablePreview-/) },
    });
  });

  it("pnpm vercel:env sets NOTES_TABLE for each environment to its own table", () => {
    const appEnv = dotenv(readFileSync(join(stateDir, "app.env"), "utf8"));
    const plan = JSON.parse(
      pnpmIn(["--silent", "vercel:env", "--sandbox", "--apply", "--json"]),
    ) as {
      applied: boolean;
      steps: { action: string; key: string; target: string[]; value?: string }[];
    };
    expect(plan.applied).toBe(true);
    const notes = plan.steps.filter((step) => step.key === "NOTES_TABLE");
    expect(notes).toEqual([
      { action: "create", key: "NOTES_TABLE", target: ["production"], value: appEnv.NOTES_TABLE },
      {
        action: "create",
        key: "NOTES_TABLE",
        target: ["preview"],
        value: expect.stringMatching(/^KeylessVercelOidc-NotesTablePreview-/),
      },
    ]);
    // Run again: nothing left to change.
    const again = JSON.parse(pnpmIn(["--silent", "vercel:env", "--sandbox", "--json"])) as {
      steps: { action: string; key: string }[];
    };
    expect(
      again.steps.filter((step) => step.key === "NOTES_TABLE").map((step) => step.action),
    ).toEqual(["keep", "keep"]);
  });

  it("pnpm verify --sandbox passes, then fails naming the statement once preview reaches production's table", () => {
    const before = JSON.parse(pnpmStatus(["--silent", "verify", "--sandbox", "--json"]).stdout);
    type Check = { name: string; ok: boolean; detail: string };
    const byName = (report: { checks: Check[] }): Record<string, Check> =>
      Object.fromEntries(report.checks.map((check) => [check.name, check]));
    expect(byName(before).permissions).toMatchObject({ ok: true });
    expect(byName(before).permissions?.detail).toMatch(/preview: .*NotesTablePreview/);

    const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8"));
    const appEnv = dotenv(readFileSync(join(stateDir, "app.env"), "utf8"));
    const productionTable = `arn:aws:dynamodb:${state.region}:123456789012:table/${appEnv.NOTES_TABLE}`;
    nodeIn(
      repo,
      "infra/ops",
      `
      import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
      const iam = new IAMClient({ region: process.env.REGION, endpoint: process.env.ENDPOINT,
        credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
      await iam.send(new PutRolePolicyCommand({ RoleName: process.env.ROLE, PolicyName: "widened",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [
          { Effect: "Allow", Action: "dynamodb:GetItem", Resource: process.env.TABLE }] }) }));
    `,
      {
        ENDPOINT: state.endpoint,
        REGION: state.region,
        ROLE: String(state.roleArns.preview).split("/").pop() ?? "",
        TABLE: productionTable,
      },
    );
    const after = pnpmStatus(["--silent", "verify", "--sandbox", "--json"]);
    expect(after.status).toBe(1);
    const permissions = byName(JSON.parse(after.stdout)).permissions as Check;
    expect(permissions.ok).toBe(false);
    expect(permissions.detail).toContain(`reaches ${productionTable}, outside the stack's bucket`);
    expect(permissions.detail).toContain("inline policy widened");
  });
});
