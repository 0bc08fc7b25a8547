// VERCEL_OIDC_AUDIENCE: exchange the request's Vercel OIDC token for one minted for another `aud`
// (e.g. sts.amazonaws.com) before it goes to STS. Done by @vercel/oidc's exchangeVercelOidcToken
// (4.0.9: POST https://oidc.vercel.com/~token with `{ token, aud }`, the token as the only
// credential; the answer `{ token, expiry }` is kept in its in-memory cache, keyed by token and
// audience, until `expiry`). Vercel mints the exchanged token with the team issuer and the same
// sub and exp; the stack must trust that audience (infra: the same variable).
import { exchangeVercelOidcToken } from "@vercel/oidc";
import type { ExplainedError } from "./explained-error";
import { summarizeToken } from "./token";
import type { CredentialMode, EnvLike, Finding } from "./types";

const TOKEN_ENDPOINT = "https://oidc.vercel.com/~token";

/** The custom audience this environment asks for, or undefined for Vercel's team audience. */
export function customAudience(env: EnvLike): string | undefined {
  const value = env.VERCEL_OIDC_AUDIENCE?.trim();
  return value ? value : undefined;
}

/** The exchange failed; carries Vercel's words (redacted by the caller), never a token. */
export class AudienceExchangeError extends Error {
  override name = "AudienceExchangeError";
  constructor(
    readonly audience: string,
    readonly reason: string,
  ) {
    super(`Vercel did not exchange the OIDC token for audience ${audience}: ${reason}`);
  }
}

/** True for this error from any bundled copy of this module (Next bundles routes separately). */
export function isAudienceExchangeError(error: unknown): error is AudienceExchangeError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "AudienceExchangeError" &&
    typeof (error as { audience?: unknown }).audience === "string"
  );
}

/**
 * The token for `audience`. @vercel/oidc answers from its cache while the last exchange of this
 * very token is unexpired, so a refresh with the same request token costs no call to Vercel.
 */
export async function exchangeForAudience(token: string, audience: string): Promise<string> {
  try {
    return await exchangeVercelOidcToken({ token, audience });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A network failure surfaces as fetch's bare "fetch failed": say where it was going.
    const cause = (error as { cause?: { code?: string } })?.cause?.code;
    throw new AudienceExchangeError(
      audience,
      cause ? `${message} (${cause} reaching ${TOKEN_ENDPOINT})` : message,
    );
  }
}

/**
 * The token to send to STS: `token` itself without a custom audience (or when it already carries
 * it), else the exchanged one; `exchanged` counts each exchange asked for.
 */
export async function tokenForAudience(
  token: string,
  audience: string | undefined,
  exchanged: () => void,
): Promise<string> {
  if (!audience) return token;
  let aud: string | string[] | undefined;
  try {
    aud = summarizeToken(token).aud;
  } catch {
    return token; // Not a JWT: STS says so, explained (token-invalid).
  }
  if (aud === audience || (Array.isArray(aud) && aud.includes(audience))) return token;
  exchanged();
  return exchangeForAudience(token, audience);
}

type Explanation = Pick<ExplainedError, "code" | "title" | "cause" | "fixes">;

export function explainAudienceExchange(error: AudienceExchangeError): Explanation {
  return {
    code: "oidc-audience-exchange-failed",
    title: `Vercel could not exchange the OIDC token for the audience ${error.audience}`,
    cause: `VERCEL_OIDC_AUDIENCE=${error.audience} makes the app exchange each new Vercel OIDC token for one with that audience (@vercel/oidc: POST ${TOKEN_ENDPOINT}). That failed — ${error.reason} — so nothing was sent to STS.`,
    fixes: [
      "If Vercel's token endpoint is unreachable or failing, this is retried: credentials still valid keep being served, and the next refresh tries again.",
      "If Vercel refused the request's token itself (a 4xx answer), check that OIDC federation is on for the project (Settings → Security, Team issuer) and redeploy.",
      "To depend on no exchange at all, delete VERCEL_OIDC_AUDIENCE from the Vercel project and from the stack's .env, run `pnpm infra:deploy` (the roles then require the team audience https://vercel.com/<team-slug>), and redeploy.",
    ],
  };
}

/** What resolveCredentialMode says about VERCEL_OIDC_AUDIENCE (doctor and the dev page show it). */
export function audienceFindings(env: EnvLike, mode: CredentialMode): Finding[] {
  const audience = customAudience(env);
  if (!audience) return [];
  if (/[\s,]/.test(audience)) {
    return [
      {
        code: "oidc-audience-malformed",
        severity: "error",
        message: `VERCEL_OIDC_AUDIENCE="${audience}" holds a space or comma: it must be exactly one audience.`,
        fix: "Set it to the one audience the stack requires (the VercelEnv output of `pnpm infra:deploy` names it), e.g. sts.amazonaws.com.",
        variables: ["VERCEL_OIDC_AUDIENCE"],
      },
    ];
  }
  if (mode !== "vercel-oidc") {
    return [
      {
        code: "oidc-audience-unused",
        severity: "info",
        message: `VERCEL_OIDC_AUDIENCE=${audience} is set, but mode ${mode} uses no Vercel OIDC token: it is ignored.`,
        fix: "Nothing to do locally. On Vercel it makes the app exchange its token for that audience.",
        variables: ["VERCEL_OIDC_AUDIENCE"],
      },
    ];
  }
  return [
    {
      code: "oidc-audience-custom",
      severity: "info",
      message: `VERCEL_OIDC_AUDIENCE=${audience}: each new Vercel OIDC token is exchanged (one call to ${TOKEN_ENDPOINT}) for a token with aud=${audience} before it goes to STS.`,
      fix: "The stack must require the same audience (VERCEL_OIDC_AUDIENCE in its .env, then `pnpm infra:deploy`); `pnpm trust:check` shows it. Unset it to use the team audience with no exchange.",
      variables: ["VERCEL_OIDC_AUDIENCE"],
    },
  ];
}
