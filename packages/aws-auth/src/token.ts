import { readFileSync } from "node:fs";
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { CredentialResolution, EnvLike, TokenSummary } from "./types";

export type { TokenSummary } from "./types";

import { readVercelOidcToken } from "./oidc-context";

/** What a token says about itself, without the token: safe to print, log and return. */

export class TokenFormatError extends Error {
  override name = "TokenFormatError";
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;
const isoFromSeconds = (value: unknown): string | undefined =>
  typeof value === "number" ? new Date(value * 1000).toISOString() : undefined;

/**
 * Decodes (does not verify: AWS does that) the claims that decide trust. Throws TokenFormatError
 * for anything that is not a JWT, with a message that never repeats the input.
 */
export function summarizeToken(token: string, now: number = Date.now()): TokenSummary {
  let claims: Record<string, unknown>;
  let alg: string | undefined;
  try {
    claims = decodeJwt(token.trim());
    alg = decodeProtectedHeader(token.trim()).alg;
  } catch {
    throw new TokenFormatError(
      "the value is not a JWT (expected three base64url parts separated by dots)",
    );
  }
  const aud = claims.aud;
  return {
    iss: text(claims.iss),
    aud: Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : text(aud),
    sub: text(claims.sub),
    environment: text(claims.environment),
    project: text(claims.project),
    owner: text(claims.owner),
    alg,
    issuedAt: isoFromSeconds(claims.iat),
    expiresAt: isoFromSeconds(claims.exp),
    expired: typeof claims.exp === "number" ? claims.exp * 1000 <= now : false,
  };
}

/**
 * The identity token the current mode would send to STS right now.
 * - vercel-oidc: the `x-vercel-oidc-token` header of the current request (through Vercel's request
 *   context, via @vercel/oidc), else `VERCEL_OIDC_TOKEN` (build time, `vercel env pull`). Not
 *   @vercel/oidc's async reader: it refreshes expired development tokens over the network with the
 *   Vercel CLI's login, which a server must not do behind the user's back.
 * - web-identity-file: the file's contents.
 */
export function readOidcToken(
  resolution: Pick<CredentialResolution, "mode" | "tokenFile">,
  env: EnvLike = process.env,
): string {
  // Throws OidcTokenUnavailableError saying why (Edge, outside a request, no header), with
  // @vercel/oidc's own words first, so the docs match what Vercel users search for.
  if (resolution.mode === "vercel-oidc") return readVercelOidcToken(env);
  if (resolution.mode === "web-identity-file" && resolution.tokenFile) {
    return readFileSync(/* turbopackIgnore: true */ resolution.tokenFile, "utf8").trim();
  }
  throw new Error(`mode ${resolution.mode} uses no identity token`);
}

/** A summary of the current token, or undefined when there is none to read. */
export function currentTokenSummary(
  resolution: Pick<CredentialResolution, "mode" | "tokenFile">,
  env: EnvLike = process.env,
): TokenSummary | undefined {
  try {
    return summarizeToken(readOidcToken(resolution, env));
  } catch {
    return undefined;
  }
}
