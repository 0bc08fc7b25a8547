// What the verify tests share: running `verify` as users do (a child process), the environment
// that points it at a sandbox, an app stand-in serving /api/health, and a proxy that makes the
// sandbox's real LookupEvents limit throttle verify's first lookup.

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { explainAwsError } from "@repo/aws-auth/explain";
import { resolveCredentialMode } from "@repo/aws-auth/mode";
import { createCredentialProvider } from "@repo/aws-auth/provider";
import { loadInfraConfig } from "@repo/infra/config";
import type { SandboxHandle } from "@repo/sandbox";
import { SAMPLE_CONFIG } from "@repo/sandbox/test-kit/sample-config";
import {
  CHECK_NAMES,
  runVerify,
  type VerifyOptions,
  type VerifyReport,
} from "../../src/verify/index";

const INFRA = fileURLToPath(new URL("../..", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
/** An empty home: no ~/.aws of the developer's can leak into the runs. */
const HOME = mkdtempSync(join(tmpdir(), "keyless-verify-home-"));

/** The sample configuration, trusting preview as well: verify checks every configured role. */
export const TEAM_ENV = { ...SAMPLE_CONFIG, VERCEL_ENVIRONMENTS: "production,preview" };

/**
 * The environment an operator would have: their own (here: placeholder) keys, the infra
 * configuration, and AWS_ENDPOINT_URL — the only difference from real AWS. Blank values override
 * anything a developer's repo-root .env might set.
 */
export function verifyEnv(sandbox: SandboxHandle, overrides: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? "",
    HOME,
    NO_COLOR: "1",
    ...TEAM_ENV,
    VERCEL_ISSUER_MODE: "team",
    VERCEL_TEAM_ID: "",
    VERCEL_PROJECT_ID: "",
    OIDC_PROVIDER_ARN: "",
    AWS_PROFILE: "",
    KEYLESS_STACK_NAME: sandbox.stackName,
    AWS_ENDPOINT_URL: sandbox.endpoint,
    // The sandbox's placeholder key: the gateway signs these calls again with its admin key.
    AWS_ACCESS_KEY_ID: "sandbox",
    AWS_SECRET_ACCESS_KEY: "sandbox",
    ...overrides,
  };
}

export interface VerifyRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The parsed stdout of a --json run. */
  report?: VerifyReport;
}

export function runVerifyCli(args: string[], env: Record<string, string>): Promise<VerifyRun> {
  const child = spawn(process.execPath, ["--import", TSX, "bin/verify.ts", ...args], {
    cwd: INFRA,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      let report: VerifyReport | undefined;
      if (args.includes("--json")) {
        try {
          report = JSON.parse(stdout) as VerifyReport;
        } catch {
          report = undefined;
        }
      }
      resolve({ code, stdout, stderr, report });
    });
  });
}

/**
 * The same run in this process (no CLI start-up): for the broken cases, where what matters is
 * which check fails. The CLI itself is exercised by the runs above.
 */
export async function verifyInProcess(
  sandbox: SandboxHandle,
  overrides: Record<string, string> = {},
  options: Partial<VerifyOptions> = {},
): Promise<VerifyReport> {
  const env = verifyEnv(sandbox, overrides);
  const { report } = await runVerify(
    { sinceMs: 3_600_000, waitMs: 0, ...options },
    {
      config: loadInfraConfig(env),
      env,
      credentials: {
        value: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
        source: "placeholder keys",
      },
    },
  );
  return report;
}

/** Every check of a run without --url, each passed: `[name, ok]` as a report lists them. */
export const ALL_PASSED_WITHOUT_URL = CHECK_NAMES.filter(
  (name) => name !== "health" && name !== "vercel-project" && name !== "github-oidc",
).map((name) => [name, true]);

/** A report's checks as `[name, ok]`, to compare with ALL_PASSED_WITHOUT_URL. */
export const checkOutcomes = (report: Pick<VerifyReport, "checks"> | undefined) =>
  (report?.checks ?? []).map((check) => [check.name, check.ok]);

export const failingChecks = (report: VerifyReport | undefined) =>
  (report?.checks ?? []).filter((check) => !check.ok).map((check) => check.name);

/**
 * The environment Vercel gives a deployment of `environment`, pointed at the sandbox, with the
 * production role as AWS_ROLE_ARN unless told another (a preview deployment given it is refused,
 * as on AWS).
 */
export async function vercelDeploymentEnv(
  sandbox: SandboxHandle,
  deploymentId: string,
  environment: "production" | "preview" = "production",
  roleArn = sandbox.roleArns.production ?? "",
) {
  return {
    VERCEL_OIDC_TOKEN: await sandbox.mintToken({ environment }),
    VERCEL_ENV: environment,
    VERCEL_DEPLOYMENT_ID: deploymentId,
    AWS_REGION: sandbox.region,
    AWS_ROLE_ARN: roleArn,
    AWS_ENDPOINT_URL: sandbox.endpoint,
  };
}

/** One exchange through @repo/aws-auth's provider, as a deployment's first AWS call makes it. */
export async function exchangeAsDeployment(
  sandbox: SandboxHandle,
  deploymentId: string,
  environment: "production" | "preview" = "production",
  roleArn?: string,
) {
  const env = await vercelDeploymentEnv(sandbox, deploymentId, environment, roleArn);
  const provider = createCredentialProvider(resolveCredentialMode(env), { env });
  return provider();
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

const closer = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * The deployment's GET /api/health as apps/web answers it (ok, mode, roleArn), made the same way:
 * the aws-auth provider exchanges the token, STS GetCallerIdentity names the assumed role.
 */
export async function startHealthApp(
  sandbox: SandboxHandle,
  deploymentId: string,
  environment: "production" | "preview" = "production",
): Promise<TestServer> {
  const env = await vercelDeploymentEnv(sandbox, deploymentId, environment);
  const resolution = resolveCredentialMode(env);
  const sts = new STSClient({
    region: sandbox.region,
    endpoint: sandbox.endpoint,
    credentials: createCredentialProvider(resolution, { env }),
  });
  const server = createServer((request, response) => {
    if (request.url !== "/api/health") {
      response.writeHead(404).end();
      return;
    }
    sts.send(new GetCallerIdentityCommand({})).then(
      (identity) => {
        const match = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(
          identity.Arn ?? "",
        );
        const roleArn = match ? `arn:${match[1]}:iam::${match[2]}:role/${match[3]}` : undefined;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ ok: true, mode: resolution.mode, roleArn }));
      },
      (error: unknown) => {
        const { code, title } = explainAwsError(error);
        response.writeHead(503, { "content-type": "application/json" });
        response.end(JSON.stringify({ ok: false, mode: resolution.mode, error: { code, title } }));
      },
    );
  });
  const url = await listen(server);
  const close = closer(server);
  return {
    url,
    close: async () => {
      sts.destroy();
      await close();
    },
  };
}

/**
 * A pass-through proxy to the sandbox that, just before verify's first LookupEvents, sends two
 * identical lookups itself: the sandbox's real 2-requests-per-second limit then throttles verify's
 * call, deterministically. Everything else is forwarded unchanged.
 */
export async function startQuotaBurningProxy(
  target: string,
): Promise<TestServer & { burned: () => number }> {
  const upstream = new URL(target);
  let burned = 0;
  const forward = (method: string, path: string, headers: Record<string, unknown>, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method,
            path,
            headers: { ...headers, host: upstream.host },
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
            incoming.on("end", () =>
              resolve({
                status: incoming.statusCode ?? 502,
                headers: incoming.headers,
                body: Buffer.concat(chunks),
              }),
            );
          },
        );
        outgoing.once("error", reject);
        outgoing.end(body);
      },
    );
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks);
      const headers = { ...request.headers };
      const method = request.method ?? "GET";
      const path = request.url ?? "/";
      try {
        if (String(headers["x-amz-target"] ?? "").endsWith(".LookupEvents") && burned === 0) {
          for (let i = 0; i < 2; i++) {
            await forward(method, path, headers, body);
            burned++;
          }
        }
        const answer = await forward(method, path, headers, body);
        response.writeHead(answer.status, answer.headers as Record<string, string>);
        response.end(answer.body);
      } catch (error) {
        response.writeHead(502).end(String(error));
      }
    });
  });
  const url = await listen(server);
  return { url, close: closer(server), burned: () => burned };
}
