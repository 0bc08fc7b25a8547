// The issuer's stand-in for Vercel's token exchange (POST /~token), over HTTP as @vercel/oidc
// calls it: a verified token in, the same claims out with the requested aud and the team issuer.
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalIssuer, type IssuerServer, type LocalIssuer, serveIssuer } from "../src/issuer";

let issuer: LocalIssuer;
let server: IssuerServer;

beforeAll(async () => {
  // Global mode: exchanged tokens still carry the team issuer.
  issuer = await createLocalIssuer(
    { mode: "global", team: "acme", teamId: "team_x", project: "web", projectId: "prj_x" },
    3600,
  );
  server = await serveIssuer(issuer);
});
afterAll(() => server.close());

const exchange = async (body: unknown) => {
  const response = await fetch(`${server.url}/~token`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("POST /~token", () => {
  it("answers a token with the requested aud, the team issuer, the same sub and exp, and act", async () => {
    const original = await issuer.mint({ environment: "preview" });
    const { status, body } = await exchange({ token: original.token, aud: "sts.amazonaws.com" });
    expect(status).toBe(200);
    const { payload } = await jwtVerify(String(body.token), createLocalJWKSet(issuer.jwks), {
      audience: "sts.amazonaws.com",
      issuer: "https://oidc.vercel.com/acme",
    });
    expect(payload.sub).toBe(original.claims.sub);
    expect(payload.environment).toBe("preview");
    expect(payload.exp).toBe(original.claims.exp);
    expect(body.expiry).toBe(original.claims.exp);
    expect(payload.act).toEqual({ aud: original.claims.aud, iat: original.claims.iat });
    expect(decodeJwt(original.token).iss).toBe("https://oidc.vercel.com");
  });

  it.each([
    ["an expired token", async () => (await issuer.mint({ expired: true })).token, 401, "expired"],
    ["a token of another issuer", async () => "e30.e30.e30", 401, "verification failed"],
  ])("refuses %s with { error }", async (_label, token, status, words) => {
    const answer = await exchange({ token: await token(), aud: "sts.amazonaws.com" });
    expect(answer.status).toBe(status);
    expect(String(answer.body.error)).toContain(words);
    expect(answer.body.token).toBeUndefined();
  });

  it("refuses a body without token or aud", async () => {
    const { token } = await issuer.mint();
    expect((await exchange({ token })).status).toBe(400);
    expect((await exchange({ aud: "x" })).status).toBe(400);
  });
});
