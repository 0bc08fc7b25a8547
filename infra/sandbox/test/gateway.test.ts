// The whole sandbox on free ports: the app's credential provider through the gateway, every
// refusal STS would give, CloudTrail records of both, faults, and pass-through to moto.

import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { awsClientConfig, s3ClientConfig } from "@repo/aws-auth/client-config";
import { diagnose } from "@repo/aws-auth/mode";
import { resetCredentialProvider } from "@repo/aws-auth/provider";
import { loadInfraConfig } from "@repo/infra/config";
import { deploymentFacts } from "@repo/infra/deployment-facts";
import { decodeJwt, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_OBJECTS } from "../src/deploy";
import { interfaceAddresses } from "../src/http";
import { isAlive } from "../src/state";
import { SAMPLE_CONFIG } from "../test-kit/sample-config";
import { startTestSandbox, type TestSandbox } from "../test-kit/sandbox";
import { listeningPorts } from "../test-kit/sockets";

let sandbox: TestSandbox;

beforeAll(async () => {
  // The sample team and project (acme/web, production only), whatever .env says.
  sandbox = await startTestSandbox();
}, 120_000);

afterAll(async () => {
  resetCredentialProvider();
  await sandbox?.stop();
});

const REQUEST_CONTEXT = Symbol.for("@vercel/request-context");

/** Exactly how Vercel's runtime hands a function its request headers. */
function asVercelRequest(token: string) {
  (globalThis as Record<symbol, unknown>)[REQUEST_CONTEXT] = {
    get: () => ({ headers: { "x-vercel-oidc-token": token } }),
  };
}

function sts(options: { maxAttempts?: number; requestTimeout?: number } = {}) {
  return new STSClient({
    region: sandbox.region,
    endpoint: sandbox.endpoint,
    maxAttempts: options.maxAttempts ?? 1,
    // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting on a hung call.
    ...(options.requestTimeout
      ? { requestHandler: { requestTimeout: options.requestTimeout, throwOnRequestTimeout: true } }
      : {}),
  });
}

function exchange(token: string, roleSessionName: string, client = sts()) {
  return client.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: sandbox.roleArns.production,
      RoleSessionName: roleSessionName,
      WebIdentityToken: token,
    }),
  );
}

async function listKeys(config: ReturnType<typeof s3ClientConfig>): Promise<string[]> {
  const s3 = new S3Client(config);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? "").sort();
}

describe("the app's credential provider through the gateway", () => {
  it("lists the seeded bucket in web-identity-file mode (the sandbox's app env)", async () => {
    resetCredentialProvider();
    const env = { ...sandbox.appEnv };
    expect(diagnose(env).mode).toBe("web-identity-file");
    const before = sandbox.stats().exchangesSucceeded;
    const config = awsClientConfig(env);
    expect(await listKeys(s3ClientConfig(env))).toEqual(
      SAMPLE_OBJECTS.map((object) => `production/${object.key}`).sort(),
    );
    const identity = await new STSClient(config).send(new GetCallerIdentityCommand({}));
    const roleName = sandbox.roleArns.production?.split("/").at(-1);
    expect(identity.Arn).toContain(`:assumed-role/${roleName}/`);
    expect(sandbox.stats().exchangesSucceeded).toBe(before + 1);
  });

  it("lists the seeded bucket in vercel-oidc mode with the token in the request context", async () => {
    resetCredentialProvider();
    asVercelRequest(await sandbox.mintToken());
    try {
      const env = {
        VERCEL: "1",
        VERCEL_ENV: "production",
        VERCEL_URL: "web-abc123.vercel.app",
        AWS_REGION: sandbox.region,
        AWS_ROLE_ARN: sandbox.roleArns.production,
        AWS_ENDPOINT_URL: sandbox.endpoint,
      };
      expect(diagnose(env).mode).toBe("vercel-oidc");
      expect(await listKeys(s3ClientConfig(env))).toContain("production/welcome.txt");
    } finally {
      delete (globalThis as Record<symbol, unknown>)[REQUEST_CONTEXT];
      resetCredentialProvider();
    }
  });

  it("answers like STS, with Provider, Audience and the token's subject", async () => {
    const response = await exchange(await sandbox.mintToken(), "web-production-check");
    expect(response.SubjectFromWebIdentityToken).toBe(
      "owner:acme:project:web:environment:production",
    );
    expect(response.Audience).toBe("https://vercel.com/acme");
    expect(response.Provider).toBe(sandbox.providerArn);
    expect(response.AssumedRoleUser?.Arn).toMatch(/:assumed-role\/.+\/web-production-check$/);
    expect(response.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA\w+:web-production-check$/);
    expect(response.Credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now());
  });
});

describe("refusals, as STS gives them", () => {
  const refusals: {
    name: string;
    token: () => Promise<string>;
    error: string;
    status: number;
    message?: RegExp;
  }[] = [
    {
      name: "preview",
      token: () => sandbox.mintToken({ environment: "preview" }),
      error: "AccessDenied",
      status: 403,
      message: /^Not authorized to perform sts:AssumeRoleWithWebIdentity$/,
    },
    {
      name: "other-project",
      token: () => sandbox.mintToken({ project: "other" }),
      error: "AccessDenied",
      status: 403,
    },
    {
      name: "other-team",
      token: () => sandbox.mintToken({ team: "other" }),
      error: "InvalidIdentityTokenException",
      status: 400,
      message:
        /^No OpenIDConnect provider found in your account for https:\/\/oidc\.vercel\.com\/other$/,
    },
    {
      name: "wrong-iss",
      token: () => sandbox.mintToken({ issuer: "https://token.actions.githubusercontent.com" }),
      error: "InvalidIdentityTokenException",
      status: 400,
      message: /^No OpenIDConnect provider found in your account for/,
    },
    {
      name: "wrong-aud",
      token: () => sandbox.mintToken({ audience: "sts.amazonaws.com" }),
      error: "InvalidIdentityTokenException",
      status: 400,
      message: /^Incorrect token audience$/,
    },
    {
      name: "expired",
      token: () => sandbox.mintToken({ expired: true }),
      error: "ExpiredTokenException",
      status: 400,
      message:
        /^Token expired: current date\/time \d+ must be before the expiration date\/time\d+$/,
    },
    {
      name: "nbf-future",
      token: () => sandbox.mintToken({ notBeforeInSeconds: 900 }),
      error: "InvalidIdentityTokenException",
      status: 400,
    },
    {
      name: "bad-signature",
      token: async () => {
        const genuine = await sandbox.mintToken();
        const { privateKey } = await generateKeyPair("RS256");
        const kid = JSON.parse(
          Buffer.from(genuine.split(".")[0] ?? "", "base64url").toString(),
        ).kid;
        return new SignJWT(decodeJwt(genuine))
          .setProtectedHeader({ alg: "RS256", kid })
          .sign(privateKey);
      },
      error: "InvalidIdentityTokenException",
      status: 400,
      message: /signature/,
    },
    {
      name: "unknown-key",
      token: async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return new SignJWT(decodeJwt(await sandbox.mintToken()))
          .setProtectedHeader({ alg: "RS256", kid: "not-in-the-jwks" })
          .sign(privateKey);
      },
      error: "InvalidIdentityTokenException",
      status: 400,
      message: /^Couldn't retrieve verification key from your identity provider/,
    },
    {
      name: "alg-none",
      token: async () => new UnsecuredJWT(decodeJwt(await sandbox.mintToken())).encode(),
      error: "InvalidIdentityTokenException",
      status: 400,
    },
    {
      name: "hs256",
      token: async () =>
        new SignJWT(decodeJwt(await sandbox.mintToken()))
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode("a-shared-secret-that-iam-never-accepts")),
      error: "InvalidIdentityTokenException",
      status: 400,
    },
    {
      name: "not-a-jwt",
      token: async () => "definitely-not-a-jwt",
      error: "InvalidIdentityTokenException",
      status: 400,
    },
  ];

  it.each(refusals)("refuses a $name token with $error", async (refusal) => {
    const error = await exchange(await refusal.token(), `refused-${refusal.name}`).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    const sdkError = error as Error & { $metadata: { httpStatusCode?: number } };
    expect(sdkError.name).toBe(refusal.error);
    expect(sdkError.$metadata.httpStatusCode).toBe(refusal.status);
    if (refusal.message) expect(sdkError.message).toMatch(refusal.message);
  });

  it("refuses a role that does not exist with AccessDenied", async () => {
    const token = await sandbox.mintToken();
    const error = await sts()
      .send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: `arn:aws:iam::${sandbox.accountId}:role/NoSuchRole`,
          RoleSessionName: "refused-no-role",
          WebIdentityToken: token,
        }),
      )
      .catch((caught: unknown) => caught as Error);
    expect((error as Error).name).toBe("AccessDenied");
  });

  it("puts the STS XML error shape on the wire", async () => {
    const token = await sandbox.mintToken({ environment: "preview" });
    const response = await fetch(sandbox.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        Action: "AssumeRoleWithWebIdentity",
        Version: "2011-06-15",
        RoleArn: sandbox.roleArns.production ?? "",
        RoleSessionName: "refused-raw",
        WebIdentityToken: token,
      }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("text/xml");
    const body = await response.text();
    expect(body).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>AccessDenied<\/Code>\s*<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>\s*$/,
    );
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("records every exchange in CloudTrail: failures with their code, never the token", async () => {
    const cloudTrail = new CloudTrailClient({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: "verify", secretAccessKey: "unused" },
    });
    const page = await cloudTrail.send(
      new LookupEventsCommand({
        LookupAttributes: [
          { AttributeKey: "EventName", AttributeValue: "AssumeRoleWithWebIdentity" },
        ],
        MaxResults: 50,
      }),
    );
    const bySession = new Map<string, Record<string, unknown>>();
    for (const event of page.Events ?? []) {
      expect(event.CloudTrailEvent).not.toMatch(/eyJ|definitely-not-a-jwt/);
      const detail = JSON.parse(event.CloudTrailEvent ?? "{}");
      bySession.set(detail.requestParameters.roleSessionName, detail);
    }
    for (const refusal of refusals) {
      expect(bySession.get(`refused-${refusal.name}`), refusal.name).toMatchObject({
        errorCode: refusal.error,
        responseElements: null,
        eventSource: "sts.amazonaws.com",
        userIdentity: { type: "WebIdentityUser" },
      });
    }
    expect(bySession.get("refused-preview")).toMatchObject({
      userIdentity: {
        userName: "owner:acme:project:web:environment:preview",
        identityProvider: sandbox.providerArn,
      },
    });
    const success = bySession.get("web-production-check");
    expect(success).toMatchObject({
      userIdentity: { userName: "owner:acme:project:web:environment:production" },
      requestParameters: { roleArn: sandbox.roleArns.production },
      responseElements: {
        subjectFromWebIdentityToken: "owner:acme:project:web:environment:production",
        audience: "https://vercel.com/acme",
        provider: sandbox.providerArn,
      },
    });
    expect(success?.errorCode).toBeUndefined();
  });
});

describe("faults at the gateway (STS calls only)", () => {
  it("answers STS 503, 500 and throttling as STS does, then recovers", async () => {
    const token = await sandbox.mintToken();
    sandbox.faults.inject({ kind: "error-503", count: 1 });
    await expect(exchange(token, "fault-503")).rejects.toMatchObject({
      name: "ServiceUnavailable",
      $metadata: { httpStatusCode: 503 },
    });
    sandbox.faults.inject({ kind: "error-500", count: 1 });
    await expect(exchange(token, "fault-500")).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    sandbox.faults.inject({ kind: "throttle", count: 1 });
    await expect(exchange(token, "fault-throttle")).rejects.toMatchObject({ name: "Throttling" });
    await expect(exchange(token, "fault-recovered")).resolves.toBeDefined();
  });

  it("lets the SDK's retries ride out a short outage", async () => {
    sandbox.faults.inject({ kind: "error-503", count: 2 });
    const response = await exchange(
      await sandbox.mintToken(),
      "fault-retried",
      sts({ maxAttempts: 3 }),
    );
    expect(response.Credentials?.AccessKeyId).toBeTruthy();
    expect(sandbox.faults.list()).toEqual([]);
  });

  it("resets connections, delays and hangs, and never touches S3", async () => {
    const token = await sandbox.mintToken();
    const credentials = (await exchange(token, "fault-s3")).Credentials;
    const s3 = new S3Client({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: credentials?.AccessKeyId ?? "",
        secretAccessKey: credentials?.SecretAccessKey ?? "",
        sessionToken: credentials?.SessionToken,
      },
    });

    try {
      sandbox.faults.inject({ kind: "reset", count: 1 });
      const reset = await exchange(token, "fault-reset").catch(
        (caught: unknown) => caught as Error,
      );
      expect(reset).toBeInstanceOf(Error);
      expect((reset as NodeJS.ErrnoException).code).toBe("ECONNRESET");

      sandbox.faults.inject({ kind: "delay", delayMs: 200, count: 1 });
      await expect(exchange(token, "fault-delay")).resolves.toBeDefined();

      sandbox.faults.inject({ kind: "hang" });
      const hung = (await exchange(token, "fault-hang", sts({ requestTimeout: 300 })).catch(
        (caught: unknown) => caught,
      )) as Error;
      expect(hung).toBeInstanceOf(Error);
      expect(hung.name).toBe("TimeoutError");
      // STS is down, S3 still answers.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
      expect(listed.KeyCount).toBeGreaterThan(0);
    } finally {
      sandbox.faults.clear();
    }
    await expect(exchange(token, "fault-cleared")).resolves.toBeDefined();
  }, 20_000);

  it("tells infra:deploy --sandbox whether its stack follows a configuration, and what differs", async () => {
    const ask = async (env: Record<string, string>) => {
      const answer = await fetch(`${sandbox.endpoint}/_sandbox/deployment`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ facts: deploymentFacts(loadInfraConfig(env)) }),
      });
      expect(answer.status).toBe(200);
      return (await answer.json()) as { stackName: string; differences: string[] };
    };
    // The configuration it started with: deployed.
    expect(await ask(SAMPLE_CONFIG)).toEqual({ stackName: sandbox.stackName, differences: [] });
    // A .env changed since: the lines that differ.
    expect(
      (await ask({ ...SAMPLE_CONFIG, VERCEL_ENVIRONMENTS: "production,preview" })).differences,
    ).toEqual(["VERCEL_ENVIRONMENTS: production → production,preview"]);
  });

  it("takes faults over HTTP and counts exchanges in /_sandbox/stats", async () => {
    const admin = `${sandbox.endpoint}/_sandbox`;
    const added = await fetch(`${admin}/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "throttle", count: 1 }),
    });
    expect(added.status).toBe(201);
    const listed = (await (await fetch(`${admin}/faults`)).json()) as { faults: unknown[] };
    expect(listed.faults).toMatchObject([{ kind: "throttle", remaining: 1 }]);
    const bad = await fetch(`${admin}/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "meteor" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("error-500");
    expect((await fetch(`${admin}/faults`, { method: "DELETE" })).status).toBe(200);
    expect(sandbox.faults.list()).toEqual([]);

    await fetch(`${admin}/stats/reset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await exchange(await sandbox.mintToken(), "counted");
    await exchange(await sandbox.mintToken({ environment: "preview" }), "counted-refused").catch(
      () => undefined,
    );
    const stats = await (await fetch(`${admin}/stats`)).json();
    expect(stats).toMatchObject({ exchanges: 2, exchangesSucceeded: 1, exchangesRefused: 1 });
    expect(sandbox.stats().exchanges).toBe(2);
  });
});

describe("pass-through to moto", () => {
  it("streams S3 objects both ways unchanged", async () => {
    resetCredentialProvider();
    const s3 = new S3Client(s3ClientConfig({ ...sandbox.appEnv }));
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let index = 0; index < body.length; index++) body[index] = (index * 31) % 251;
    await s3.send(
      new PutObjectCommand({
        Bucket: sandbox.bucket,
        Key: "production/uploads/blob.bin",
        Body: body,
      }),
    );
    const fetched = await s3.send(
      new GetObjectCommand({ Bucket: sandbox.bucket, Key: "production/uploads/blob.bin" }),
    );
    const bytes = Buffer.from(await (fetched.Body?.transformToByteArray() ?? new Uint8Array()));
    expect(bytes.equals(body)).toBe(true);
  }, 30_000);
});

describe("Signature Version 2", () => {
  it("refuses a SigV2 presigned URL and a SigV2 header in S3's XML shape, as S3 does, not moto's HTML 500", async () => {
    // As boto3 presigns in us-east-1 by default: HMAC-SHA1 over the string to sign, key id in the query.
    const key = "production/data/sample.json";
    const expires = Math.floor(Date.now() / 1000) + 300;
    const stringToSign = `GET\n\n\n${expires}\n/${sandbox.bucket}/${key}`;
    const signature = createHmac("sha1", "sandbox").update(stringToSign).digest("base64");
    const presigned = new URL(`${sandbox.endpoint}/${sandbox.bucket}/${key}`);
    presigned.searchParams.set("AWSAccessKeyId", "sandbox");
    presigned.searchParams.set("Signature", signature);
    presigned.searchParams.set("Expires", String(expires));
    const headerSigned = {
      url: `${sandbox.endpoint}/${sandbox.bucket}/${key}`,
      init: {
        headers: { authorization: `AWS sandbox:${signature}`, date: new Date().toUTCString() },
      },
    };
    for (const [url, init] of [
      [presigned.href, {}],
      [headerSigned.url, headerSigned.init],
    ] as const) {
      const answer = await fetch(url, init);
      expect(answer.status).toBe(400);
      expect(answer.headers.get("content-type")).toBe("application/xml");
      const xml = await answer.text();
      expect(xml).toContain("<Code>InvalidRequest</Code>");
      expect(xml).toContain(
        "<Message>The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.</Message>",
      );
      expect(xml).toMatch(/<RequestId>[\w-]+<\/RequestId>/);
    }
  });
});

describe("--network", () => {
  it("puts the AWS endpoint on every interface and answers the machine's own address; the admin API and the issuer stay loopback", async () => {
    const open = await startTestSandbox({ network: true });
    try {
      const own = interfaceAddresses()[0];
      const { ports } = open.processes;
      // Read from the kernel, never by connecting elsewhere: requests below go to 127.0.0.1 with
      // the Host a client on the network would send.
      const listening = execFileSync("ss", ["-ltnH"], { encoding: "utf8" });
      expect(listening).toMatch(new RegExp(`0\\.0\\.0\\.0:${ports.gateway}\\b`));
      expect(listening).toMatch(new RegExp(`127\\.0\\.0\\.1:${ports.issuer}\\b`));
      const asIfFrom = (path: string, host: string) =>
        new Promise<number>((resolve, reject) => {
          const request = httpRequest(
            { host: "127.0.0.1", port: ports.gateway, path, headers: { host } },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          request.on("error", reject);
          request.end();
        });
      if (own) {
        // The AWS endpoint answers under the machine's address (an S3 call without credentials:
        // refused by S3's rules, not by the Host check)…
        expect(await asIfFrom(`/${open.bucket}`, `${own}:${ports.gateway}`)).not.toBe(403);
        // …the admin API does not.
        expect(await asIfFrom("/_sandbox/stats", `${own}:${ports.gateway}`)).toBe(403);
      }
      // Any other name is still refused (DNS rebinding).
      expect(await asIfFrom(`/${open.bucket}`, `attacker.example:${ports.gateway}`)).toBe(403);
    } finally {
      await open.stop();
    }
  }, 120_000);
});

describe("stop", () => {
  it("kills moto, frees every port and removes the state files", async () => {
    const { motoPid, ports } = sandbox.processes;
    const tokenFile = sandbox.tokenFile;
    expect(isAlive(motoPid)).toBe(true);
    await sandbox.stop();
    expect(isAlive(motoPid)).toBe(false);
    // Read from the kernel: none of this process's sockets (nor a child's) listens there any more.
    const stillListening = listeningPorts(process.pid);
    for (const port of Object.values(ports)) expect(stillListening).not.toContain(port);
    await expect(rm(tokenFile)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
