// Nothing Keyless prints, logs or returns holds a token, a secret access key or a session token.
// Every credential issued during this file goes through a proxy that records the real values;
// then `aws-auth doctor`/`preflight`, `pnpm verify --json`, the sandbox's own output, the
// provider's errors and stats, and the gateway's CloudTrail events are searched for them.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { ExplainedAwsError } from "@repo/aws-auth/explain";
import { diagnose } from "@repo/aws-auth/mode";
import { createCredentialProvider } from "@repo/aws-auth/provider";
import { sandboxAdmin } from "@repo/sandbox/test-kit/admin";
import { isolatedInfraEnv } from "@repo/sandbox/test-kit/sample-config";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LifetimeProxy, startLifetimeProxy } from "../src/lib/fake-aws";
import { run } from "./helpers/run";
import { REPO_ROOT } from "./helpers/sandbox-process";

const sandbox = inject("sandbox");
const admin = sandboxAdmin(sandbox);
const secrets = new Set<string>();
const outputs: { source: string; text: string }[] = [];
let proxy: LifetimeProxy;
let env: Record<string, string>;

const capture = (source: string, text: string) => outputs.push({ source, text });
const system = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" };

beforeAll(async () => {
  proxy = await startLifetimeProxy({
    target: sandbox.endpoint,
    lifetimeMs: 3_600_000,
    clock: { now: () => Date.now() },
    onIssued: ({ secretAccessKey, sessionToken }) => {
      secrets.add(secretAccessKey);
      secrets.add(sessionToken);
    },
  });
  // The app's environment, with every exchange routed through the recording proxy.
  env = { ...(await admin.appEnv()), AWS_ENDPOINT_URL_STS: proxy.endpoint };
  secrets.add((await readFile(env.AWS_WEB_IDENTITY_TOKEN_FILE as string, "utf8")).trim());
});

afterAll(async () => {
  await proxy?.close();
});

async function token(environment: string) {
  const minted = await admin.mintToken({ environment });
  secrets.add(minted);
  return minted;
}

const awsAuth = (args: string[], extraEnv: Record<string, string>) =>
  run(process.execPath, [join(REPO_ROOT, "packages/aws-auth/bin/aws-auth.mjs"), ...args], {
    cwd: REPO_ROOT,
    env: { ...system, ...extraEnv },
  });

describe("outputs", () => {
  it("aws-auth doctor (token file) works and says which mode", async () => {
    for (const args of [["doctor"], ["doctor", "--json"]]) {
      const result = await awsAuth(args, env);
      capture(`aws-auth ${args.join(" ")}`, result.stdout + result.stderr);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("web-identity-file");
    }
  });

  it("aws-auth doctor with VERCEL_OIDC_TOKEN, accepted and refused", async () => {
    const { AWS_WEB_IDENTITY_TOKEN_FILE: _file, ...withoutFile } = env;
    const accepted = await awsAuth(["doctor", "--json"], {
      ...withoutFile,
      VERCEL_OIDC_TOKEN: await token("production"),
    });
    capture("aws-auth doctor --json (vercel-oidc)", accepted.stdout + accepted.stderr);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain("vercel-oidc");

    const refused = await awsAuth(["doctor"], {
      ...withoutFile,
      VERCEL_OIDC_TOKEN: await token("preview"),
    });
    capture("aws-auth doctor (preview token)", refused.stdout + refused.stderr);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain("sts:AssumeRoleWithWebIdentity");
  });

  it("aws-auth preflight on a Vercel production build", async () => {
    const { AWS_WEB_IDENTITY_TOKEN_FILE: _file, ...withoutFile } = env;
    const result = await awsAuth(["preflight"], {
      ...withoutFile,
      VERCEL: "1",
      VERCEL_ENV: "production",
      VERCEL_OIDC_TOKEN: await token("production"),
    });
    capture("aws-auth preflight", result.stdout + result.stderr);
    expect(result.code).toBe(0);
  });

  it("the provider: credentials, stats, and an explained refusal", async () => {
    const provider = createCredentialProvider(diagnose(env), { env });
    const credentials = await provider();
    expect(secrets.has(credentials.secretAccessKey)).toBe(true);
    const s3 = new S3Client({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      forcePathStyle: true,
      credentials: provider,
    });
    await s3.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
    capture("provider stats", JSON.stringify(provider.stats()));
    s3.destroy();

    const { AWS_WEB_IDENTITY_TOKEN_FILE: _file, ...withoutFile } = env;
    const refusedEnv = { ...withoutFile, VERCEL_OIDC_TOKEN: await token("preview") };
    const refused = createCredentialProvider(diagnose(refusedEnv), { env: refusedEnv });
    const error = await refused().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExplainedAwsError);
    const explained = (error as ExplainedAwsError).explained;
    expect(explained.code).toBe("trust-denied");
    capture("explained error", JSON.stringify(explained));
    capture("error message", String((error as Error).message));
    capture("refused provider stats", JSON.stringify(refused.stats()));
  });

  it("pnpm verify --json, run with the provider's own session credentials", async () => {
    const provider = createCredentialProvider(diagnose(env), { env });
    const credentials = await provider();
    const result = await run(process.execPath, ["--import", "tsx", "bin/verify.ts", "--json"], {
      cwd: join(REPO_ROOT, "infra/ops"),
      env: {
        ...system,
        ...isolatedInfraEnv(),
        AWS_REGION: sandbox.region,
        KEYLESS_STACK_NAME: sandbox.stackName,
        AWS_ENDPOINT_URL: sandbox.endpoint,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken as string,
      },
      timeoutMs: 90_000,
    });
    capture("pnpm verify --json", result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { name: string }[] };
    expect(report.checks.map((check) => check.name)).toContain("trust-policy");
  });

  it("the sandbox's CloudTrail events and admin stats", async () => {
    for (const path of ["/_sandbox/cloudtrail/events", "/_sandbox/stats"]) {
      const text = await (await fetch(`${sandbox.endpoint}${path}`)).text();
      capture(path, text);
    }
    const events = JSON.parse(outputs.at(-2)?.text ?? "{}") as { events: unknown[] };
    expect(events.events.length).toBeGreaterThan(0);
  });
});

/** Where a secret shows up in `text`: JWTs by shape, credential values by their exact value. */
function leaks(text: string): string[] {
  const found: string[] = [];
  if (/eyJ[\w-]{8,}/.test(text)) found.push("a JWT (eyJ…)");
  for (const secret of secrets) {
    if (secret && text.includes(secret)) found.push(`a value of length ${secret.length}`);
  }
  return found;
}

describe("secrets", () => {
  it("the search finds what it looks for", () => {
    const [anyToken] = [...secrets].filter((value) => value.startsWith("eyJ"));
    const [anySecret] = [...secrets].filter((value) => !value.startsWith("eyJ"));
    expect(leaks(`token=${anyToken}`)).not.toHaveLength(0);
    expect(leaks(`key=${anySecret}`)).not.toHaveLength(0);
  });

  it("no output holds a token, a secret access key or a session token", async () => {
    capture("sandbox stdout+stderr", await readFile(sandbox.outputFile, "utf8"));
    // Several exchanges (doctor ×3, preflight, provider, verify) and several tokens were seen.
    expect(secrets.size).toBeGreaterThanOrEqual(10);
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    const found = outputs.flatMap(({ source, text }) =>
      leaks(text).map((what) => `${source}: ${what}`),
    );
    expect(found).toEqual([]);
  });
});
