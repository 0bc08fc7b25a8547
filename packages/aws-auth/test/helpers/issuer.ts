import { exportJWK, generateKeyPair, SignJWT } from "jose";

export interface VercelClaims {
  team?: string;
  project?: string;
  environment?: "production" | "preview" | "development";
  lifetimeSeconds?: number;
  issuedAt?: number;
}

/** A throwaway RS256 issuer that signs Vercel-shaped tokens (real signatures, test-only key). */
export async function createIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = await exportJWK(publicKey);
  return {
    jwks: { keys: [{ ...jwk, kid: "test", alg: "RS256", use: "sig" }] },
    async mint(claims: VercelClaims = {}): Promise<string> {
      const team = claims.team ?? "acme";
      const project = claims.project ?? "web";
      const environment = claims.environment ?? "production";
      const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
      return new SignJWT({
        owner: team,
        owner_id: "team_0123456789abcdef",
        project,
        project_id: "prj_0123456789abcdef",
        environment,
        scope: `owner:${team}:project:${project}:environment:${environment}`,
      })
        .setProtectedHeader({ alg: "RS256", kid: "test", typ: "JWT" })
        .setIssuer(`https://oidc.vercel.com/${team}`)
        .setAudience(`https://vercel.com/${team}`)
        .setSubject(`owner:${team}:project:${project}:environment:${environment}`)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + (claims.lifetimeSeconds ?? 3600))
        .sign(privateKey);
    },
  };
}
