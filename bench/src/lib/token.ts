import { generateKeyPair, SignJWT } from "jose";

/**
 * A Vercel-shaped development token (RS256, real signature with a key made for this run), for
 * benchmarks whose STS is the local double: it reads no signature, but every client parses the
 * token's claims (expiry, subject), so it must be a real JWT. Valid for `lifetimeSeconds` from now.
 */
export async function mintBenchToken(lifetimeSeconds: number): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  const team = "acme";
  const subject = `owner:${team}:project:web:environment:development`;
  return new SignJWT({ owner: team, project: "web", environment: "development", scope: subject })
    .setProtectedHeader({ alg: "RS256", kid: "bench", typ: "JWT" })
    .setIssuer(`https://oidc.vercel.com/${team}`)
    .setAudience(`https://vercel.com/${team}`)
    .setSubject(subject)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(privateKey);
}
