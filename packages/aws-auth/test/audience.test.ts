// VERCEL_OIDC_AUDIENCE without the network: what the mode decision says about it, when an exchange
// is asked for at all, and how a failed one is explained. The exchange itself (through
// @vercel/oidc to a stand-in for Vercel's endpoint) is tested on the Vercel path, in
// tooling/vercel-local's audience spec.
import { describe, expect, it } from "vitest";
import { AudienceExchangeError, tokenForAudience } from "../src/audience";
import { explainAwsError } from "../src/explain";
import { resolveCredentialMode } from "../src/mode";
import { createCredentialProvider } from "../src/provider";
import { createIssuer } from "./helpers/issuer";

const ON_VERCEL = {
  VERCEL: "1",
  AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessProduction",
  AWS_REGION: "us-east-1",
};
const codes = (env: Record<string, string>) =>
  resolveCredentialMode(env).findings.map((f) => [f.code, f.severity]);

describe("resolveCredentialMode and VERCEL_OIDC_AUDIENCE", () => {
  it("vercel-oidc: the audience is in the resolution and an info finding names the exchange", () => {
    const resolution = resolveCredentialMode({
      ...ON_VERCEL,
      VERCEL_OIDC_AUDIENCE: " sts.amazonaws.com ",
    });
    expect(resolution.audience).toBe("sts.amazonaws.com");
    const finding = resolution.findings.find((f) => f.code === "oidc-audience-custom");
    expect(finding?.severity).toBe("info");
    expect(finding?.message).toContain("https://oidc.vercel.com/~token");
    expect(finding?.fix).toContain("pnpm infra:deploy");
  });

  it("unset or blank: the team audience, no finding", () => {
    expect(resolveCredentialMode(ON_VERCEL).audience).toBeUndefined();
    expect(resolveCredentialMode({ ...ON_VERCEL, VERCEL_OIDC_AUDIENCE: " " }).audience).toBe(
      undefined,
    );
    expect(codes({ ...ON_VERCEL, VERCEL_OIDC_AUDIENCE: "" })).not.toContainEqual(
      expect.arrayContaining(["oidc-audience-custom"]),
    );
  });

  it("a list instead of one audience blocks the provider", () => {
    expect(codes({ ...ON_VERCEL, VERCEL_OIDC_AUDIENCE: "sts.amazonaws.com,api" })).toContainEqual([
      "oidc-audience-malformed",
      "error",
    ]);
  });

  it("another mode ignores it, and says so", () => {
    const resolution = resolveCredentialMode({ AWS_PROFILE: "dev", VERCEL_OIDC_AUDIENCE: "x" });
    expect(resolution.mode).toBe("profile");
    expect(resolution.audience).toBeUndefined();
    expect(codes({ AWS_PROFILE: "dev", VERCEL_OIDC_AUDIENCE: "x" })).toContainEqual([
      "oidc-audience-unused",
      "info",
    ]);
  });
});

describe("tokenForAudience", () => {
  it("sends the token unchanged without a custom audience, or when it already carries it", async () => {
    const token = await (await createIssuer()).mint();
    let asked = 0;
    const count = () => {
      asked += 1;
    };
    expect(await tokenForAudience(token, undefined, count)).toBe(token);
    expect(await tokenForAudience(token, "https://vercel.com/acme", count)).toBe(token);
    expect(asked).toBe(0);
  });
});

describe("a failed exchange", () => {
  it("is explained with its own code and fixes, and no token in any field", async () => {
    const token = await (await createIssuer()).mint();
    const error = new AudienceExchangeError(
      "sts.amazonaws.com",
      `Failed to exchange token: invalid token ${token}`,
    );
    const explained = explainAwsError(error);
    expect(explained.code).toBe("oidc-audience-exchange-failed");
    expect(explained.title).toBe(
      "Vercel could not exchange the OIDC token for the audience sts.amazonaws.com",
    );
    expect(explained.cause).toContain("nothing was sent to STS");
    expect(explained.fixes.join(" ")).toContain("delete VERCEL_OIDC_AUDIENCE");
    expect(JSON.stringify(explained)).not.toContain(token);
  });

  it("the provider throws it explained and keeps it as lastError, audience in its stats", async () => {
    const resolution = resolveCredentialMode({ ...ON_VERCEL, VERCEL_OIDC_AUDIENCE: "aud-x" });
    const provider = createCredentialProvider(resolution, {
      fetchCredentials: () =>
        Promise.reject(new AudienceExchangeError("aud-x", "Failed to exchange token: nope")),
    });
    await expect(provider()).rejects.toMatchObject({
      explained: { code: "oidc-audience-exchange-failed" },
    });
    expect(provider.stats()).toMatchObject({
      audience: "aud-x",
      lastError: { code: "oidc-audience-exchange-failed" },
    });
  });
});
