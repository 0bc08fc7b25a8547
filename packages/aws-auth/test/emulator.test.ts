// Each credential mode end to end against moto, a real AWS emulator: create the OIDC provider and
// role through IAM, exchange a real RS256 token through STS, use the credentials on S3.
// (moto verifies no token; the sandbox's gateway does, and is tested in infra.)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { awsClientConfig, s3ClientConfig } from "../src/client-config";
import { resolveCredentialMode } from "../src/mode";
import { createCredentialProvider, resetCredentialProvider } from "../src/provider";
import { createIssuer } from "./helpers/issuer";
import { type CountingProxy, startCountingProxy } from "./helpers/moto";
import { createVercelRole } from "./helpers/vercel-role";

const REQUEST_CONTEXT = Symbol.for("@vercel/request-context");
type WithContext = typeof globalThis & { [REQUEST_CONTEXT]?: { get(): unknown } };

/** Sets the request context the way Vercel's runtime does for a function invocation. */
function withVercelRequest<T>(token: string, run: () => Promise<T>): Promise<T> {
  const g = globalThis as WithContext;
  g[REQUEST_CONTEXT] = { get: () => ({ headers: { "x-vercel-oidc-token": token } }) };
  return run().finally(() => {
    delete g[REQUEST_CONTEXT];
  });
}

// The run's one moto (test/helpers/moto.ts); this file's provider, role and bucket
// are its own.
const moto = { endpoint: inject("motoEndpoint") };
let proxy: CountingProxy;
let roleArn: string;
const bucket = "keyless-test-bucket";
const dir = mkdtempSync(join(tmpdir(), "aws-auth-"));
const issuer = await createIssuer();
const adminEnv = () => ({
  region: "us-east-1",
  endpoint: moto.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
});

beforeAll(async () => {
  proxy = await startCountingProxy(moto.endpoint);
  roleArn = await createVercelRole(moto.endpoint, "KeylessProduction");
  const s3 = new S3Client(adminEnv());
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "hello.txt", Body: "hello" }));
});

afterAll(async () => {
  await proxy?.stop();
});

afterEach(() => resetCredentialProvider());

const baseEnv = () => ({
  AWS_REGION: "us-east-1",
  AWS_ROLE_ARN: roleArn,
  AWS_ENDPOINT_URL: proxy.endpoint,
  HOME: dir,
});

async function listAndIdentify(env: Record<string, string>) {
  const s3 = new S3Client(s3ClientConfig(env));
  const sts = new STSClient(awsClientConfig(env));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const me = await sts.send(new GetCallerIdentityCommand({}));
  return { keys: listed.Contents?.map((o) => o.Key), arn: me.Arn };
}

describe("against moto", () => {
  it("vercel-oidc: token from the request-context header, as Vercel's runtime delivers it", async () => {
    const token = await issuer.mint();
    const env = {
      ...baseEnv(),
      VERCEL: "1",
      VERCEL_ENV: "production",
      VERCEL_DEPLOYMENT_ID: "dpl_abc123",
    };
    const before = proxy.exchanges();
    const result = await withVercelRequest(token, () => listAndIdentify(env));
    expect(result.keys).toEqual(["hello.txt"]);
    expect(result.arn).toMatch(/assumed-role\/KeylessProduction\/vercel-production-dpl_abc123$/);
    expect(proxy.exchanges() - before).toBe(1);
  });

  it("vercel-oidc: VERCEL_OIDC_TOKEN from `vercel env pull` (local development)", async () => {
    const token = await issuer.mint({ environment: "development" });
    const env = { ...baseEnv(), VERCEL_OIDC_TOKEN: token, VERCEL_ENV: "development" };
    const result = await listAndIdentify(env);
    expect(result.keys).toEqual(["hello.txt"]);
    expect(result.arn).toMatch(/\/vercel-development-local$/);
  });

  it("vercel-oidc: outside a request on Vercel, the missing context is explained", async () => {
    const env = { ...baseEnv(), VERCEL: "1", VERCEL_REGION: "iad1" };
    const s3 = new S3Client(s3ClientConfig(env));
    const error = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket }))
      .catch((e: unknown) => e);
    expect((error as { explained?: { code: string } }).explained?.code).toBe(
      "oidc-outside-request",
    );
  });

  it("vercel-oidc: stats say how long the credentials and the exchanged token have left", async () => {
    const token = await issuer.mint({ lifetimeSeconds: 1800 });
    const env = { ...baseEnv(), VERCEL: "1", VERCEL_ENV: "production", VERCEL_REGION: "iad1" };
    const provider = createCredentialProvider(resolveCredentialMode(env), { env });
    await withVercelRequest(token, () => provider());
    const stats = provider.stats();
    expect(stats.tokenSecondsLeft).toBeGreaterThan(1700);
    expect(stats.tokenSecondsLeft).toBeLessThanOrEqual(1800);
    expect(stats.credentialsSecondsLeft).toBeGreaterThan(0);
    expect(stats.tokenExpiration?.getTime()).toBeGreaterThan(Date.now());
  });

  it("web-identity-file: fromTokenFile reads the file", async () => {
    const file = join(dir, "token");
    writeFileSync(file, await issuer.mint(), { mode: 0o600 });
    const result = await listAndIdentify({
      ...baseEnv(),
      AWS_WEB_IDENTITY_TOKEN_FILE: file,
      USER: "dev",
    });
    expect(result.keys).toEqual(["hello.txt"]);
    expect(result.arn).toMatch(/\/keyless-dev$/);
  });

  it("awsClientConfig() is what every client takes; s3ClientConfig() adds S3's extras on the same provider", async () => {
    const file = join(dir, "split-token");
    writeFileSync(file, await issuer.mint(), { mode: 0o600 });
    const env = { ...baseEnv(), AWS_WEB_IDENTITY_TOKEN_FILE: file };
    const common = awsClientConfig(env);
    expect(Object.keys(common).sort()).toEqual(["credentials", "endpoint", "region"]);
    const s3 = s3ClientConfig(env);
    expect(s3).toMatchObject({
      region: "us-east-1",
      endpoint: proxy.endpoint,
      requestChecksumCalculation: "WHEN_REQUIRED",
      forcePathStyle: true,
    });
    expect(s3.credentials).toBe(common.credentials);
    // Without an endpoint override S3 keeps its virtual-hosted URLs.
    const { AWS_ENDPOINT_URL: _, ...onAws } = env;
    resetCredentialProvider();
    expect(s3ClientConfig(onAws).forcePathStyle).toBeUndefined();
  });

  it("profile: fromIni with AWS_PROFILE", async () => {
    const home = mkdtempSync(join(tmpdir(), "aws-auth-home-"));
    const config = join(home, "config");
    const credentials = join(home, "credentials");
    writeFileSync(config, "[profile sandbox]\nregion = us-east-1\n");
    writeFileSync(
      credentials,
      "[sandbox]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    );
    const env = {
      HOME: home,
      AWS_PROFILE: "sandbox",
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_ENDPOINT_URL: moto.endpoint,
    };
    const result = await listAndIdentify(env);
    expect(result.keys).toEqual(["hello.txt"]);
    expect(result.arn).toMatch(/^arn:aws:(iam|sts)::123456789012:/);
  });

  it("one STS exchange for 1,000 concurrent calls through two clients", async () => {
    const token = await issuer.mint();
    const env = { ...baseEnv(), VERCEL: "1", VERCEL_ENV: "production" };
    const before = proxy.exchanges();
    await withVercelRequest(token, async () => {
      const s3 = new S3Client(s3ClientConfig(env));
      const sts = new STSClient(awsClientConfig(env));
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          i % 2
            ? s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }))
            : sts.send(new GetCallerIdentityCommand({})),
        ),
      );
    });
    expect(proxy.exchanges() - before).toBe(1);
  });

  it("reads the token again on every refresh", async () => {
    const file = join(dir, "rotating-token");
    writeFileSync(file, await issuer.mint({ environment: "production" }));
    const resolution = resolveCredentialMode({ ...baseEnv(), AWS_WEB_IDENTITY_TOKEN_FILE: file });
    const provider = createCredentialProvider(resolution);
    await provider();
    expect(proxy.lastSubject()).toBe("owner:acme:project:web:environment:production");
    // The platform rotates the token; the next exchange must send the new one.
    writeFileSync(file, await issuer.mint({ environment: "preview" }));
    provider.invalidate();
    await provider();
    expect(proxy.lastSubject()).toBe("owner:acme:project:web:environment:preview");
  });
});
