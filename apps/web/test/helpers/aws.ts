import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { resetCredentialProvider } from "@repo/aws-auth/provider";
import { SAMPLE_CONFIG, sampleSubject } from "@repo/sandbox/test-kit/sample-config";
import { afterAll, beforeAll, inject, vi } from "vitest";
import { resetAwsClients } from "../../lib/aws";

export const TEST_ROLE_ARN = "arn:aws:iam::123456789012:role/keyless-web-production";
export const TEST_REGION = SAMPLE_CONFIG.AWS_REGION;

const base64url = (value: Buffer | string) => Buffer.from(value).toString("base64url");

/**
 * A real RS256 JWT shaped like a Vercel production token of the sample project, signed with a key
 * made for this run.
 * moto does not check it; @repo/aws-auth reads its claims for diagnostics.
 */
export function mintTestToken(environment = "production"): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const team = SAMPLE_CONFIG.VERCEL_TEAM_SLUG;
  const header = { alg: "RS256", typ: "JWT", kid: randomUUID() };
  const payload = {
    iss: `https://oidc.vercel.com/${team}`,
    aud: `https://vercel.com/${team}`,
    sub: sampleSubject(environment),
    owner: team,
    project: SAMPLE_CONFIG.VERCEL_PROJECT_NAME,
    environment,
    iat: now,
    nbf: now,
    exp: now + 3600,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${unsigned}.${base64url(sign("RSA-SHA256", Buffer.from(unsigned), privateKey))}`;
}

/** An S3 client for arranging test data in moto, with moto's conventional placeholder keys. */
export function arrangeS3(endpoint: string): S3Client {
  return new S3Client({
    region: TEST_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
}

export async function createBucketWith(
  endpoint: string,
  bucket: string,
  objects: Record<string, string>,
): Promise<void> {
  const s3 = arrangeS3(endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [key, body] of Object.entries(objects)) {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain" }),
    );
  }
  s3.destroy();
}

/** Forget the process's provider and clients so the next test builds them from its own env. */
export function forgetAwsState(): void {
  resetAwsClients();
  resetCredentialProvider();
}

/**
 * For the whole test file: the web-identity-file mode against moto (the path the sandbox and
 * Kubernetes use), with a fresh token file. Returns the moto endpoint.
 */
export function useWebIdentityEnv(extra: Record<string, string> = {}): { endpoint: string } {
  const endpoint = inject("motoEndpoint");
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keyless-web-test-"));
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, mintTestToken(), { mode: 0o600 });
    stubEnv({
      AWS_ROLE_ARN: TEST_ROLE_ARN,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_REGION: TEST_REGION,
      AWS_ENDPOINT_URL: endpoint,
      ...extra,
    });
  });
  afterAll(() => {
    forgetAwsState();
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });
  return { endpoint };
}

/** Clears every variable that could choose a credential mode, then sets `vars`. */
export function stubEnv(vars: Record<string, string>): void {
  for (const name of AWS_MODE_VARIABLES) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value);
  forgetAwsState();
}

const AWS_MODE_VARIABLES = [
  "KEYLESS_SANDBOX",
  "AWS_ROLE_ARN",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ENDPOINT_URL",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "VERCEL",
  "VERCEL_ENV",
  "VERCEL_OIDC_TOKEN",
  "S3_BUCKET",
];
