// An expired development token, refreshed the way Vercel's helper does it: @vercel/oidc reads the
// Vercel CLI's login and the folder's .vercel/project.json and asks Vercel's API for a new token.
// Only the remote end is replaced — a fake Vercel API, reached through a fetch stand-in loaded with
// `node --import` — and the process is a real Node process with the shared provider, exchanging
// with moto's STS.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mayRefreshLocally } from "../src/local-refresh";
import { createIssuer } from "./helpers/issuer";

const CHILD = fileURLToPath(new URL("./helpers/refresh-child.ts", import.meta.url));
const STAND_IN = fileURLToPath(new URL("./helpers/vercel-api-stand-in.mjs", import.meta.url));
// tsx from this package (the child runs in a folder of its own, where nothing resolves).
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const CLI_LOGIN = "cli-login-token-for-tests";
const issuer = await createIssuer();
const moto = { endpoint: inject("motoEndpoint") };

let api: Server;
let apiUrl: string;
let roleArn: string;
/** What the fake Vercel API was asked, and how it answers. */
const asked: { path: string; authorization?: string }[] = [];
let answer: "token" | "forbidden" = "token";

beforeAll(async () => {
  const iam = new IAMClient({
    region: "us-east-1",
    endpoint: moto.endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: "KeylessLocalRefresh", AssumeRolePolicyDocument: "{}" }),
  );
  roleArn = role.Role?.Arn as string;
  iam.destroy();
  // POST /v1/projects/{id}/token?source=vercel-oidc-refresh&teamId=… → { token }, as Vercel's
  // "Generate a project OIDC token" answers; 403 { error } when the login is refused.
  api = createServer((req, res) => {
    asked.push({ path: req.url ?? "", authorization: req.headers.authorization });
    req.resume();
    req.on("end", async () => {
      if (answer === "forbidden" || req.headers.authorization !== `Bearer ${CLI_LOGIN}`) {
        res.writeHead(403, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "forbidden", message: "Not authorized" } }));
        return;
      }
      const token = await issuer.mint({ environment: "development", lifetimeSeconds: 12 * 3600 });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
});

/** A linked project folder and a logged-in Vercel CLI, in a HOME of their own. */
function linkedProject() {
  const home = mkdtempSync(join(tmpdir(), "aws-auth-refresh-"));
  const project = join(home, "app");
  mkdirSync(join(project, ".vercel"), { recursive: true });
  writeFileSync(
    join(project, ".vercel", "project.json"),
    JSON.stringify({ projectId: "prj_local0123", orgId: "team_local0123" }),
  );
  const data = join(home, "data");
  mkdirSync(join(data, "com.vercel.cli"), { recursive: true });
  writeFileSync(
    join(data, "com.vercel.cli", "auth.json"),
    JSON.stringify({ token: CLI_LOGIN, expiresAt: Math.floor(Date.now() / 1000) + 3600 }),
  );
  return { home, project, data };
}

async function runDevProcess(extra: Record<string, string> = {}) {
  const { home, project, data } = linkedProject();
  const expired = await issuer.mint({
    environment: "development",
    issuedAt: Math.floor(Date.now() / 1000) - 13 * 3600,
    lifetimeSeconds: 12 * 3600,
  });
  asked.length = 0;
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_DATA_HOME: data,
    NODE_ENV: "development",
    VERCEL_API_STAND_IN: apiUrl,
    VERCEL_OIDC_TOKEN: expired,
    AWS_ROLE_ARN: roleArn,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: moto.endpoint,
    ...extra,
  };
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", TSX, "--import", STAND_IN, CHILD],
      { cwd: project, env, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(result.stdout + result.stderr).not.toContain(expired);
  return { ...JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}"), result };
}

describe("an expired VERCEL_OIDC_TOKEN in local development", () => {
  it("is refreshed once through @vercel/oidc, and that one refresh serves every request", async () => {
    answer = "token";
    const seen = await runDevProcess();
    expect(seen.failure).toBeUndefined();
    expect(seen.localRefreshes).toBe(1);
    expect(asked).toEqual([
      {
        path: "/v1/projects/prj_local0123/token?source=vercel-oidc-refresh&teamId=team_local0123",
        authorization: `Bearer ${CLI_LOGIN}`,
      },
    ]);
    // 30 calls, one exchange with the new token, one set of credentials.
    expect(seen.exchanges).toBe(1);
    expect(seen.distinctCredentials).toBe(1);
    expect(seen.tokenSecondsLeft).toBeGreaterThan(11 * 3600);
  });

  it("falls back to the stale-token explanation when the refresh fails", async () => {
    answer = "forbidden";
    const seen = await runDevProcess();
    expect(seen.failure).toEqual({ code: "token-expired" });
    // Asked once; the failure is remembered for a while instead of asked again per request.
    expect(asked).toHaveLength(1);
    expect(seen.exchanges).toBeGreaterThan(0);
  });

  it("is left alone with KEYLESS_VERCEL_TOKEN_REFRESH=off, and in a production server", async () => {
    answer = "token";
    const cases: Record<string, string>[] = [
      { KEYLESS_VERCEL_TOKEN_REFRESH: "off" },
      { NODE_ENV: "production" },
    ];
    for (const extra of cases) {
      const seen = await runDevProcess(extra);
      // As before this existed: the configuration is refused, naming the expired token.
      expect(seen.failure).toEqual({ code: "bad-configuration" });
      expect(seen.because).toMatch(/VERCEL_OIDC_TOKEN expired at/);
      expect(seen.localRefreshes).toBe(0);
      expect(asked).toEqual([]);
    }
  });
});

describe("mayRefreshLocally", () => {
  it("is development only: never on Vercel, in production or under a test runner", () => {
    expect(mayRefreshLocally({})).toBe(true);
    expect(mayRefreshLocally({ NODE_ENV: "development" })).toBe(true);
    expect(mayRefreshLocally({ VERCEL: "1" })).toBe(false);
    expect(mayRefreshLocally({ NODE_ENV: "production" })).toBe(false);
    expect(mayRefreshLocally({ NODE_ENV: "test" })).toBe(false);
    expect(mayRefreshLocally({ KEYLESS_VERCEL_TOKEN_REFRESH: "off" })).toBe(false);
  });
});
