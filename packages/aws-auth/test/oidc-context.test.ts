// Where the Vercel OIDC token can be read, and the explained refusal everywhere it cannot.
import { afterEach, describe, expect, it } from "vitest";
import * as edgeEntry from "../src/edge";
import { explainAwsError, isExplainedAwsError } from "../src/explain";
import { resolveCredentialMode } from "../src/mode";
import { readVercelOidcToken } from "../src/oidc-context";
import { createCredentialProvider } from "../src/provider";
import { createIssuer } from "./helpers/issuer";

const REQUEST_CONTEXT = Symbol.for("@vercel/request-context");
type Globals = typeof globalThis & {
  [REQUEST_CONTEXT]?: { get(): unknown };
  EdgeRuntime?: string;
};
const g = globalThis as Globals;
const issuer = await createIssuer();

function inRequest(headers: Record<string, string>) {
  g[REQUEST_CONTEXT] = { get: () => ({ headers }) };
}

afterEach(() => {
  delete g[REQUEST_CONTEXT];
  delete g.EdgeRuntime;
});

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return explainAwsError(error);
  }
  throw new Error("expected a refusal");
};

const vercelEnv = {
  VERCEL: "1",
  VERCEL_ENV: "production",
  VERCEL_REGION: "iad1",
  AWS_REGION: "us-east-1",
  AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessProduction",
  // Nothing listens here: a request that reached "STS" would fail as aws-unreachable instead.
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
};

describe("reading the Vercel OIDC token", () => {
  it("takes the header of the request at hand", () => {
    inRequest({ "x-vercel-oidc-token": " header-token " });
    expect(readVercelOidcToken({ VERCEL_OIDC_TOKEN: "env-token" })).toBe("header-token");
  });

  it("falls back to VERCEL_OIDC_TOKEN when no request is handled (build, local dev)", () => {
    expect(readVercelOidcToken({ VERCEL_OIDC_TOKEN: "env-token" })).toBe("env-token");
  });

  it("outside any request: explained as outside-request, keeping Vercel's words", () => {
    const explained = codeOf(() => readVercelOidcToken({}));
    expect(explained.code).toBe("oidc-outside-request");
    expect(explained.cause).toContain("The 'x-vercel-oidc-token' header is missing");
    expect(explained.fixes.join(" ")).toContain("after()");
  });

  it("in a request without the header: OIDC off or proxy/middleware, both named", () => {
    inRequest({ host: "example.com" });
    const explained = codeOf(() => readVercelOidcToken({}));
    expect(explained.code).toBe("oidc-header-missing");
    expect(explained.cause).toMatch(/proxy\.ts\/middleware/);
    expect(explained.fixes.join(" ")).toMatch(/Node\.js route handler/);
  });

  it("in the Edge runtime: refused even when a header is there", () => {
    g.EdgeRuntime = "edge-runtime";
    inRequest({ "x-vercel-oidc-token": "header-token" });
    const explained = codeOf(() => readVercelOidcToken({}));
    expect(explained.code).toBe("oidc-edge-runtime");
    expect(explained.fixes.join(" ")).toMatch(
      /Node\.js route handler, server component or server action/,
    );
  });

  it("the edge-light entry refuses every call with the same explanation", () => {
    for (const entry of [
      edgeEntry.awsClientConfig,
      edgeEntry.s3ClientConfig,
      edgeEntry.getCredentialProvider,
    ]) {
      let caught: unknown;
      try {
        entry();
      } catch (error) {
        caught = error;
      }
      expect(isExplainedAwsError(caught)).toBe(true);
      expect(explainAwsError(caught).code).toBe("oidc-edge-runtime");
    }
  });
});

describe("token lifetime in the shared provider", () => {
  it("never sends STS a token past its exp: explained, no request made", async () => {
    const expired = await issuer.mint({
      issuedAt: Math.floor(Date.now() / 1000) - 7200,
      lifetimeSeconds: 3600,
    });
    inRequest({ "x-vercel-oidc-token": expired });
    const provider = createCredentialProvider(resolveCredentialMode(vercelEnv), {
      env: vercelEnv,
    });
    const error = await provider().catch((e: unknown) => e);
    const explained = explainAwsError(error);
    expect(explained.code).toBe("token-expired");
    expect(explained.cause).toContain("was not sent to STS");
    expect(JSON.stringify(explained)).not.toContain(expired);
    expect(provider.stats().lastError?.code).toBe("token-expired");
  });

  it("uses the provider's clock: a token valid by the wall clock is refused at a later now()", async () => {
    const token = await issuer.mint({ lifetimeSeconds: 600 });
    inRequest({ "x-vercel-oidc-token": token });
    const provider = createCredentialProvider(resolveCredentialMode(vercelEnv), {
      env: vercelEnv,
      now: () => Date.now() + 3_600_000,
    });
    expect(explainAwsError(await provider().catch((e: unknown) => e)).code).toBe("token-expired");
  });
});
