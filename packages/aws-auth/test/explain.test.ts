// The explainer on the errors users really meet: STS and S3 error responses byte-for-byte in AWS's
// XML shapes, parsed by the real SDK, and the messages of the SDK's own providers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExplainedAwsError, explainAwsError, isExplainedAwsError, redact } from "../src/explain";
import { resolveCredentialMode } from "../src/mode";
import { createCredentialProvider } from "../src/provider";
import { createIssuer } from "./helpers/issuer";

const stsError = (code: string, message: string, type = "Sender") =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>${type}</Type>
    <Code>${code}</Code>
    <Message>${message}</Message>
  </Error>
  <RequestId>4e0c3f5a-8d2b-4c1e-9f3a-2b7d6e5c4a10</RequestId>
</ErrorResponse>
`;

const STS_ERRORS: Record<string, { status: number; body: string }> = {
  trust: {
    status: 403,
    body: stsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
  },
  provider: {
    status: 400,
    body: stsError(
      "InvalidIdentityToken",
      "No OpenIDConnect provider found in your account for https://oidc.vercel.com/acme",
    ),
  },
  audience: { status: 400, body: stsError("InvalidIdentityToken", "Incorrect token audience") },
  expired: {
    status: 400,
    body: stsError(
      "ExpiredTokenException",
      "Token expired: current date/time 1764100000 must be before the expiration date/time1764096400",
    ),
  },
};

let server: Server;
let endpoint: string;
let scenario = "trust";
const issuer = await createIssuer();

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/keyless-bucket")) {
        res.writeHead(403, { "content-type": "application/xml" });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>Q1W2E3R4T5Y6U7I8</RequestId><HostId>aGVsbG8=</HostId></Error>',
        );
        return;
      }
      if (scenario === "hang") return; // never answers: only a client-side timeout ends this
      const reply = STS_ERRORS[scenario] ?? STS_ERRORS.trust;
      res.writeHead(reply?.status ?? 500, { "content-type": "text/xml" });
      res.end(reply?.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

async function exchangeFailure(name: string, stsTimeoutMs?: number) {
  scenario = name;
  const token = await issuer.mint({ environment: "preview" });
  const resolution = resolveCredentialMode({
    VERCEL_OIDC_TOKEN: token,
    AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessProduction",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: endpoint,
  });
  const provider = createCredentialProvider(resolution, {
    env: { VERCEL_OIDC_TOKEN: token },
    stsTimeoutMs,
  });
  const error = await provider().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ExplainedAwsError);
  return { explained: (error as ExplainedAwsError).explained, token };
}

describe("explainAwsError on STS's own error responses", () => {
  it("trust mismatch: shows the token's claims, never the token", async () => {
    const { explained, token } = await exchangeFailure("trust");
    expect(explained.code).toBe("trust-denied");
    expect(explained.title).toBe("Not authorized to perform sts:AssumeRoleWithWebIdentity");
    expect(explained.awsCode).toBe("AccessDenied");
    expect(explained.httpStatus).toBe(403);
    expect(explained.token?.sub).toBe("owner:acme:project:web:environment:preview");
    expect(explained.cause).toContain("environment:preview");
    expect(explained.fixes.join(" ")).toMatch(/trust:check/);
    expect(JSON.stringify(explained)).not.toContain(token);
  });

  it("no provider for the issuer", async () => {
    const { explained } = await exchangeFailure("provider");
    expect(explained.code).toBe("provider-missing");
    expect(explained.cause).toContain("https://oidc.vercel.com/acme");
  });

  it("incorrect audience", async () => {
    const { explained } = await exchangeFailure("audience");
    expect(explained.code).toBe("audience-mismatch");
    expect(explained.cause).toContain("https://vercel.com/acme");
  });

  it("expired token", async () => {
    const { explained } = await exchangeFailure("expired");
    expect(explained.code).toBe("token-expired");
    expect(explained.awsCode).toBe("ExpiredTokenException");
  });

  it("a hung STS endpoint times out, is retried, then explained", async () => {
    const { explained } = await exchangeFailure("hang", 300);
    expect(explained.code).toBe("aws-unreachable");
  });

  it("recognises an explained error from another copy of the module", () => {
    const original = new ExplainedAwsError({
      code: "trust-denied",
      title: "t",
      cause: "c",
      fixes: [],
    });
    const foreign = Object.assign(new Error("copy"), {
      explained: original.explained,
      [Symbol.for("keyless.aws-auth.ExplainedAwsError")]: true,
    });
    expect(isExplainedAwsError(foreign)).toBe(true);
    expect(explainAwsError(foreign).code).toBe("trust-denied");
    expect(isExplainedAwsError(new Error("plain"))).toBe(false);
  });

  it("S3 AccessDenied is about permissions, not trust", async () => {
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "ASIATEST", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    const error = await s3
      .send(new ListObjectsV2Command({ Bucket: "keyless-bucket" }))
      .catch((e) => e);
    const explained = explainAwsError(error);
    expect(explained.code).toBe("permission-denied");
    expect(explained.httpStatus).toBe(403);
  });
});

describe("explainAwsError on provider and runtime messages", () => {
  const cases: [string, unknown, string][] = [
    [
      "missing header (edge, middleware, module scope)",
      new Error("The 'x-vercel-oidc-token' header is missing from the request."),
      "oidc-header-missing",
    ],
    [
      "the seed's 'No credentials returned'",
      Object.assign(new Error("Failed to assume role: No credentials returned"), {
        name: "CredentialsProviderError",
      }),
      "no-credentials",
    ],
    [
      "the SDK default chain giving up",
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
      "no-credentials",
    ],
    [
      "malformed token",
      Object.assign(new Error("Couldn't retrieve verification key from your identity provider"), {
        name: "InvalidIdentityToken",
      }),
      "token-invalid",
    ],
    [
      "network failure",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), { code: "ECONNREFUSED" }),
      "aws-unreachable",
    ],
    [
      "missing bucket",
      Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" }),
      "bucket-missing",
    ],
    ["anything else", "boom", "unknown"],
  ];
  it.each(cases)("%s", (_name, error, code) => {
    const explained = explainAwsError(error);
    expect(explained.code).toBe(code);
    expect(explained.title.length).toBeGreaterThan(5);
    expect(explained.fixes.length).toBeGreaterThan(0);
  });

  it("redacts tokens and secrets from messages", async () => {
    const token = await issuer.mint();
    const message = `bad token ${token} and aws_secret_access_key=abcdEFGH1234 here`;
    const explained = explainAwsError(new Error(message));
    expect(explained.detail).not.toContain(token);
    expect(explained.detail).not.toContain("abcdEFGH1234");
    expect(redact(message)).toContain("[token redacted]");
  });

  it("redacts the session token, key id and signature a quoted presigned URL carries", () => {
    const keyId = ["ASIA", "EXAMPLEKEYID1234"].join("");
    const sessionToken = "IQoJb3JpZ2luX2VjEXAMPLE%2Fsession%2Btoken";
    const url =
      `https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
      `&X-Amz-Credential=${keyId}%2F20261130%2Fus-east-1%2Fs3%2Faws4_request` +
      `&X-Amz-Security-Token=${sessionToken}&X-Amz-Signature=abc123def456`;
    const shown = redact(`request to ${url} failed; key ${keyId} was used`);
    expect(shown).not.toContain(sessionToken);
    expect(shown).not.toContain(keyId);
    expect(shown).not.toContain("abc123def456");
    expect(shown).toContain("X-Amz-Security-Token=[redacted]");
    expect(shown).toContain("X-Amz-Algorithm=AWS4-HMAC-SHA256");
  });

  // The secrets as the SDK and STS serialize them, each form seen passing through before.
  const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  const SESSION = "IQoJb3JpZ2luX2VjEXAMPLE/session+token==";
  it.each([
    [
      "JSON, as the SDK's credentials",
      `{"AccessKeyId":"x","SecretAccessKey":"${SECRET}","SessionToken":"${SESSION}"}`,
    ],
    [
      "JSON, camelCase and spaced",
      `{ "secretAccessKey" : "${SECRET}", "sessionToken": "${SESSION}" }`,
    ],
    [
      "JSON, with an escaped quote",
      `{"SecretAccessKey":"${SECRET}\\"x","SessionToken":"${SESSION}"}`,
    ],
    [
      "XML, as STS answers",
      `<Credentials><SecretAccessKey>${SECRET}</SecretAccessKey><SessionToken>${SESSION}</SessionToken></Credentials>`,
    ],
    [
      "XML, namespaced",
      `<sts:SecretAccessKey>${SECRET}</sts:SecretAccessKey><sts:SessionToken>${SESSION}</sts:SessionToken>`,
    ],
  ])("redacts the secret key and session token in %s", (_form, message) => {
    const shown = redact(message);
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain(SESSION);
    expect(shown.match(/\[redacted\]/g)).toHaveLength(2);
  });
});
