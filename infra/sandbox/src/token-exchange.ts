// A local stand-in for Vercel's token exchange (POST https://oidc.vercel.com/~token), served by the
// sandbox issuer at POST /~token so tests can exercise VERCEL_OIDC_AUDIENCE offline. It follows
// what Vercel documents for exchanged tokens (changelog "Custom OIDC token audiences", and
// @vercel/oidc 4.0.9's client): the request is `{ token, aud }` with the token as the only
// credential; the answer `{ token, expiry }` holds a token with the same project, environment,
// owner and exp, `iss` the TEAM issuer (even for a global-issuer project), `aud` the requested
// one, a new `iat`, and `act` recording the original `aud` and `iat`. Failures answer
// `{ error }`, which @vercel/oidc turns into "Failed to exchange token: <error>".
import { createLocalJWKSet, type JSONWebKeySet, errors as joseErrors, jwtVerify } from "jose";

/**
 * What the exchange needs from the issuer that serves it (issuer.ts passes itself): its keys,
 * its two issuer URLs, and a way to mint. Declared here so this module imports nothing back.
 */
export interface ExchangeIssuer {
  jwks: JSONWebKeySet;
  /** The team issuer URL for a team slug. */
  teamIssuerUrl(team: string): string;
  /** Every issuer URL a token to exchange may carry (this team's and the global one). */
  acceptedIssuers: string[];
  mint(options: {
    team: string;
    project: string;
    environment: string;
    issuer: string;
    audience: string;
    lifetimeSeconds: number;
    extraClaims: Record<string, unknown>;
  }): Promise<{ token: string }>;
}

export interface ExchangeAnswer {
  status: number;
  body: { token: string; expiry: number } | { error: string };
}

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : "");

export async function exchangeToken(
  issuer: ExchangeIssuer,
  request: unknown,
): Promise<ExchangeAnswer> {
  const { token, aud } = (request ?? {}) as { token?: unknown; aud?: unknown };
  if (!text(token) || !text(aud)) {
    return { status: 400, body: { error: "the body must be JSON with a token and an aud" } };
  }
  let claims: Record<string, unknown>;
  try {
    // Only tokens this issuer signed, unexpired, from either of its issuer URLs.
    ({ payload: claims } = await jwtVerify(token as string, createLocalJWKSet(issuer.jwks), {
      algorithms: ["RS256"],
      issuer: issuer.acceptedIssuers,
    }));
  } catch (error) {
    const reason =
      error instanceof joseErrors.JWTExpired ? "token expired" : "token verification failed";
    return { status: 401, body: { error: `invalid token: ${reason}` } };
  }
  const exp = Number(claims.exp);
  const minted = await issuer.mint({
    team: String(claims.owner),
    project: String(claims.project),
    environment: String(claims.environment),
    issuer: issuer.teamIssuerUrl(String(claims.owner)),
    audience: aud as string,
    lifetimeSeconds: exp - Math.floor(Date.now() / 1000),
    extraClaims: { act: { aud: claims.aud, iat: claims.iat } },
  });
  return { status: 200, body: { token: minted.token, expiry: exp } };
}
