// Each environment's data is its own, enforced for real: moto checks every request against IAM,
// with credentials from the sandbox's own STS (tokens checked by the gateway), through the SDK and
// through presigned URLs (which the gateway verifies and forwards header-signed). Also: the
// gateway fails closed (other STS actions, foreign Host headers, moto's control API).

import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SandboxHandle, startSandbox } from "../src/index";
import { roleCredentials } from "./helpers/role-credentials";

let sandbox: SandboxHandle;
let stateDir: string;
let production: S3Client;
let preview: S3Client;

async function roleClient(environment: string): Promise<S3Client> {
  return new S3Client({
    region: sandbox.region,
    endpoint: sandbox.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    credentials: await roleCredentials(sandbox, environment),
  });
}

const get = (key: string) => new GetObjectCommand({ Bucket: sandbox.bucket, Key: key });
const put = (key: string, body = "written by a test") =>
  new PutObjectCommand({ Bucket: sandbox.bucket, Key: key, Body: body, ContentType: "text/plain" });
const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => "succeeded",
    (error: { name?: string }) => error.name,
  );

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "keyless-enforce-"));
  sandbox = await startSandbox({
    stateDir,
    env: { VERCEL_ENVIRONMENTS: "production,preview,staging" },
  });
  [production, preview] = await Promise.all([roleClient("production"), roleClient("preview")]);
}, 120_000);

afterAll(async () => {
  production?.destroy();
  preview?.destroy();
  await sandbox?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("each role reaches only its own environment's data (SDK, header-signed)", () => {
  it("the production role lists its own prefix, as the app does", async () => {
    const listed = await production.send(
      new ListObjectsV2Command({ Bucket: sandbox.bucket, Prefix: "production/", MaxKeys: 20 }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toContain("production/welcome.txt");
    // A continuation token carries "/", "+" and "=": the next page is signed the same way.
    const first = await production.send(
      new ListObjectsV2Command({ Bucket: sandbox.bucket, Prefix: "production/", MaxKeys: 1 }),
    );
    const next = await production.send(
      new ListObjectsV2Command({
        Bucket: sandbox.bucket,
        Prefix: "production/",
        MaxKeys: 1,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(next.Contents?.[0]?.Key).not.toBe(first.Contents?.[0]?.Key);
  });

  it("the production role reads and writes production/", async () => {
    const object = await production.send(get("production/welcome.txt"));
    expect(await object.Body?.transformToString()).toMatch(/Keyless sandbox/);
    expect(await errorName(production.send(put("production/uploads/a.txt")))).toBe("succeeded");
  });

  it("the preview role gets AccessDenied on production data, and works on preview/", async () => {
    expect(await errorName(preview.send(get("production/welcome.txt")))).toBe("AccessDenied");
    expect(await errorName(preview.send(put("production/welcome.txt", "overwritten")))).toBe(
      "AccessDenied",
    );
    expect(await errorName(preview.send(get("preview/welcome.txt")))).toBe("succeeded");
    expect(await errorName(preview.send(put("preview/uploads/b.txt")))).toBe("succeeded");
    // Production's object is untouched.
    const object = await production.send(get("production/welcome.txt"));
    expect(await object.Body?.transformToString()).not.toBe("overwritten");
  });
});

describe("a custom environment (staging) has its own role and data", () => {
  const assume = async (environment: string, token: string) => {
    const sts = new STSClient({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      maxAttempts: 1,
    });
    try {
      await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: sandbox.roleArns[environment],
          RoleSessionName: "vercel-staging-test",
          WebIdentityToken: token,
        }),
      );
      return "assumed";
    } catch (error) {
      return (error as Error).name;
    } finally {
      sts.destroy();
    }
  };

  it("a staging token assumes the staging role and nothing else; preview's token not staging's", async () => {
    const staging = await sandbox.mintToken({ environment: "staging" });
    expect(await assume("staging", staging)).toBe("assumed");
    expect(await assume("production", staging)).toBe("AccessDenied");
    expect(await assume("preview", staging)).toBe("AccessDenied");
    expect(await assume("staging", await sandbox.mintToken({ environment: "preview" }))).toBe(
      "AccessDenied",
    );
  });

  it("the staging role works on staging/ and gets AccessDenied on production/ and preview/", async () => {
    const staging = await roleClient("staging");
    try {
      expect(await errorName(staging.send(put("staging/uploads/a.txt")))).toBe("succeeded");
      expect(await errorName(staging.send(get("production/welcome.txt")))).toBe("AccessDenied");
      expect(await errorName(staging.send(put("preview/x.txt")))).toBe("AccessDenied");
    } finally {
      staging.destroy();
    }
  });
});

describe("presigned URLs, as the app hands them out", () => {
  it("preview credentials + a presigned GET of a production key → 403", async () => {
    const url = await getSignedUrl(preview, get("production/welcome.txt"), { expiresIn: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/AccessDenied/);
  });

  it("production credentials + a presigned GET of a production key → 200 with the object", async () => {
    // As the app signs it: with a response-content-disposition full of characters moto reads
    // differently from the signer (the gateway signs its forward the way moto reads it).
    const url = await getSignedUrl(
      production,
      new GetObjectCommand({
        Bucket: sandbox.bucket,
        Key: "production/welcome.txt",
        ResponseContentDisposition: `attachment; filename="welcome.txt"; filename*=UTF-8''welcome.txt`,
      }),
      { expiresIn: 60 },
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/Keyless sandbox/);
  });

  it("a presigned PUT signed over type and length writes only the role's own prefix", async () => {
    const body = "presigned upload";
    const sign = (client: S3Client, key: string) =>
      getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: sandbox.bucket,
          Key: key,
          ContentType: "text/plain",
          ContentLength: body.length,
        }),
        { expiresIn: 60, signableHeaders: new Set(["content-type", "content-length"]) },
      );
    const headers = { "content-type": "text/plain" };
    const own = await fetch(await sign(preview, "preview/uploads/c.txt"), {
      method: "PUT",
      headers,
      body,
    });
    expect(own.status).toBe(200);
    const foreign = await fetch(await sign(preview, "production/uploads/c.txt"), {
      method: "PUT",
      headers,
      body,
    });
    expect(foreign.status).toBe(403);
  });

  it("refuses a tampered signature, another key and an expired URL", async () => {
    const url = new URL(
      await getSignedUrl(production, get("production/welcome.txt"), { expiresIn: 60 }),
    );
    const tampered = new URL(url);
    tampered.searchParams.set("X-Amz-Signature", "0".repeat(64));
    expect((await fetch(tampered)).status).toBe(403);
    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace("welcome.txt", "data/sample.json");
    expect(await (await fetch(otherKey)).text()).toMatch(/SignatureDoesNotMatch/);
    const expired = new URL(
      await getSignedUrl(production, get("production/welcome.txt"), {
        expiresIn: 1,
        signingDate: new Date(Date.now() - 60_000),
      }),
    );
    const answer = await fetch(expired);
    expect(answer.status).toBe(403);
    expect(await answer.text()).toMatch(/Request has expired/);
  });
});

describe("the gateway fails closed", () => {
  const exchangeWith = async (token: string) => {
    const sts = new STSClient({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      maxAttempts: 1,
    });
    try {
      return await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: sandbox.roleArns.production,
          RoleSessionName: "fail-closed",
          WebIdentityToken: token,
        }),
      );
    } catch (error) {
      return error as Error;
    } finally {
      sts.destroy();
    }
  };

  it("matches iss exactly: a trailing slash is another issuer", async () => {
    const answer = await exchangeWith(
      await sandbox.mintToken({ issuer: `${sandbox.tokenIssuer}/` }),
    );
    expect(answer).toMatchObject({ name: "InvalidIdentityTokenException" });
    expect((answer as Error).message).toMatch(/No OpenIDConnect provider found/);
  });

  it("refuses a token issued in the future (iat), even with a valid nbf", async () => {
    const answer = await exchangeWith(await sandbox.mintToken({ issuedAtShiftSeconds: 3600 }));
    expect(answer).toMatchObject({ name: "InvalidIdentityTokenException" });
    expect((answer as Error).message).toMatch(/issued-at/);
    // The same token without the shift is accepted: the check is the iat, nothing else.
    expect(await exchangeWith(await sandbox.mintToken())).toHaveProperty("Credentials");
  });

  it("refuses STS actions other than AssumeRoleWithWebIdentity and GetCallerIdentity", async () => {
    const sts = new STSClient({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    const error = await sts
      .send(new AssumeRoleCommand({ RoleArn: sandbox.roleArns.production, RoleSessionName: "x1" }))
      .catch((caught: Error) => caught);
    sts.destroy();
    expect(error).toMatchObject({ name: "AccessDenied" });
    expect((error as Error).message).toMatch(/does not serve sts:AssumeRole/);
  });

  it("answers only requests addressed to loopback (DNS rebinding)", async () => {
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${sandbox.endpoint}/_sandbox/health`);
        httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } })
          .on("response", (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          })
          .on("error", reject)
          .end();
      });
    expect(await status(`attacker.example:${new URL(sandbox.endpoint).port}`)).toBe(403);
    expect(await status(new URL(sandbox.endpoint).host)).toBe(200);
    const issuer = new URL(sandbox.issuerUrl);
    expect(
      await new Promise<number>((resolve) => {
        httpRequest({
          host: issuer.hostname,
          port: issuer.port,
          path: "/.well-known/jwks",
          headers: { host: `rebound.example:${issuer.port}` },
        })
          .on("response", (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          })
          .end();
      }),
    ).toBe(403);
  });

  it("does not pass moto's control API through (it could switch enforcement off)", async () => {
    const response = await fetch(`${sandbox.endpoint}/moto-api/reset-auth`, {
      method: "POST",
      body: "1000",
    });
    expect(response.status).toBe(403);
    expect(await errorName(preview.send(get("production/welcome.txt")))).toBe("AccessDenied");
  });

  it("signs the sandbox's own placeholder-key calls with its admin key", async () => {
    const iam = new IAMClient({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    const roles = await iam.send(new ListRolesCommand({}));
    iam.destroy();
    expect(roles.Roles?.map((role) => role.Arn)).toEqual(
      expect.arrayContaining([sandbox.roleArns.production, sandbox.roleArns.preview]),
    );
  });
});
