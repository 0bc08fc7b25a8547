// The sandbox's local issuer: Vercel-shaped tokens, discovery + JWKS over HTTP, and /mint.

import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLocalIssuer,
  type IssuerServer,
  keepTokenFileFresh,
  type LocalIssuer,
  serveIssuer,
} from "../src/issuer";

const identity = {
  mode: "team" as const,
  team: "acme",
  teamId: "team_sandboxtest",
  project: "web",
  projectId: "prj_sandboxtest",
};

let issuer: LocalIssuer;
let server: IssuerServer;

beforeAll(async () => {
  issuer = await createLocalIssuer(identity, 3600);
  server = await serveIssuer(issuer);
});

afterAll(async () => {
  await server.close();
});

describe("minted tokens", () => {
  it("carry Vercel's claims for the configured team and project", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { token, expiresAt } = await issuer.mint();
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "RS256", kid: issuer.keyId });
    expect(claims).toMatchObject({
      iss: "https://oidc.vercel.com/acme",
      aud: "https://vercel.com/acme",
      sub: "owner:acme:project:web:environment:production",
      owner: "acme",
      owner_id: "team_sandboxtest",
      project: "web",
      project_id: "prj_sandboxtest",
      environment: "production",
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    expect(expiresAt.getTime()).toBe((claims.exp as number) * 1000);
  });

  it("can be for another environment, project or team, expired, or not yet valid", async () => {
    const other = decodeJwt(
      (await issuer.mint({ environment: "preview", project: "shop", team: "globex" })).token,
    );
    expect(other).toMatchObject({
      iss: "https://oidc.vercel.com/globex",
      aud: "https://vercel.com/globex",
      sub: "owner:globex:project:shop:environment:preview",
      owner: "globex",
      project: "shop",
      environment: "preview",
    });
    expect(other.owner_id).not.toBe(identity.teamId);

    const now = Math.floor(Date.now() / 1000);
    const expired = decodeJwt((await issuer.mint({ expired: true })).token);
    // Past IAM's 5-minute clock skew.
    expect(expired.exp).toBeLessThan(now - 300);

    const early = decodeJwt((await issuer.mint({ notBeforeInSeconds: 900 })).token);
    expect(early.nbf).toBeGreaterThan(now + 300);

    const short = decodeJwt((await issuer.mint({ lifetimeSeconds: 60 })).token);
    expect((short.exp as number) - (short.iat as number)).toBe(60);

    const development = decodeJwt((await issuer.mint({ environment: "development" })).token);
    expect(development.user_id).toEqual(expect.any(String));
  });

  it("uses the global issuer in global mode, with the team audience", async () => {
    const global = await createLocalIssuer({ ...identity, mode: "global" });
    const claims = decodeJwt((await global.mint()).token);
    expect(claims.iss).toBe("https://oidc.vercel.com");
    expect(claims.aud).toBe("https://vercel.com/acme");
  });
});

describe("issuer over HTTP", () => {
  it("serves discovery and a JWKS that verifies its tokens (public keys only)", async () => {
    const discovery = (await (
      await fetch(`${server.url}/acme/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
      jwks_uri: string;
      id_token_signing_alg_values_supported: string[];
    };
    expect(discovery.issuer).toBe("https://oidc.vercel.com/acme");
    expect(discovery.id_token_signing_alg_values_supported).toEqual(["RS256"]);
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: object[] };
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty("d");
      expect(key).not.toHaveProperty("p");
    }
    const { token } = await issuer.mint();
    const verified = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: "https://oidc.vercel.com/acme",
      audience: "https://vercel.com/acme",
      algorithms: ["RS256"],
    });
    expect(verified.payload.sub).toBe("owner:acme:project:web:environment:production");
  });

  it("mints through POST /mint for local tools, never for a browser page", async () => {
    const minted = await fetch(`${server.url}/mint`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ environment: "preview" }),
    });
    expect(minted.status).toBe(200);
    const body = (await minted.json()) as { token: string; expiresAt: string };
    expect(decodeJwt(body.token).environment).toBe("preview");
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());

    const crossSite = await fetch(`${server.url}/mint`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: "{}",
    });
    expect(crossSite.status).toBe(403);
    const formPost = await fetch(`${server.url}/mint`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "environment=production",
    });
    expect(formPost.status).toBe(403);
    expect(await formPost.text()).not.toContain("eyJ");
  });
});

describe("the token file", () => {
  it("is rewritten with a fresh token halfway through each token's life", async () => {
    const shortLived = await createLocalIssuer(identity, 2);
    const written: string[] = [];
    const keeper = await keepTokenFileFresh(
      shortLived,
      async (token) => {
        written.push(token);
      },
      (error) => {
        throw error;
      },
    );
    try {
      expect(written).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(written.length).toBeGreaterThanOrEqual(2);
      const [first, latest] = [written[0] ?? "", written.at(-1) ?? ""].map(decodeJwt);
      expect(latest?.exp).toBeGreaterThan(first?.exp as number);
      expect(latest?.sub).toBe("owner:acme:project:web:environment:production");
    } finally {
      keeper.stop();
    }
  });
});
