// Where the Vercel OIDC token can come from, and — when it cannot — why, in words that say what
// runs where. Loads nothing Node-only, so the Edge entry (edge.ts) shares these explanations.
//
// What Vercel documents: a function gets the token as the `x-vercel-oidc-token` header of each
// request, reached through `globalThis[Symbol.for("@vercel/request-context")]` (what @vercel/oidc's
// getContext reads); builds and `vercel env pull` get VERCEL_OIDC_TOKEN. Not confirmed by any
// Vercel doc or test: the header in Edge functions, Edge middleware and Next 16's proxy.ts (a
// Node function, `_middleware`, in `vercel build`'s output). Keyless refuses the Edge runtime
// outright (the AWS SDK's credential providers need Node) and explains a missing header in a
// request by naming proxy/middleware alongside OIDC being off.
import { getContext } from "@vercel/oidc";
import type { ExplainedError } from "./explained-error";
import type { EnvLike } from "./types";

declare const EdgeRuntime: string | undefined;

export type OidcUnavailableReason =
  | "edge-runtime"
  | "outside-request"
  | "header-missing"
  | "expired";

const HEADER_MISSING = "The 'x-vercel-oidc-token' header is missing from the request.";

/** No usable token here; `reason` says which case. Never carries the token. */
export class OidcTokenUnavailableError extends Error {
  override name = "OidcTokenUnavailableError";
  constructor(
    readonly reason: OidcUnavailableReason,
    /** For `expired`: the token's exp (ISO). */
    readonly expiresAt?: string,
  ) {
    super(
      reason === "expired"
        ? `The Vercel OIDC token expired at ${expiresAt}; it was not sent to STS.`
        : `${HEADER_MISSING} (${reason})`,
    );
  }
}

/** True for this error from any bundled copy of this module (Next bundles routes separately). */
export function isOidcTokenUnavailable(error: unknown): error is OidcTokenUnavailableError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "OidcTokenUnavailableError" &&
    typeof (error as { reason?: unknown }).reason === "string"
  );
}

/** Next.js replaces `EdgeRuntime` with a string in Edge bundles; the edge-runtime VM defines it. */
export function isEdgeRuntime(): boolean {
  return typeof EdgeRuntime === "string";
}

/**
 * The token of the request at hand (the header), else VERCEL_OIDC_TOKEN (build time, local dev).
 * Must be called synchronously inside the request: the header is reachable only from there.
 */
export function readVercelOidcToken(env: EnvLike): string {
  if (isEdgeRuntime()) throw new OidcTokenUnavailableError("edge-runtime");
  const headers = getContext().headers as Record<string, string | undefined> | undefined;
  const token = headers?.["x-vercel-oidc-token"] ?? env.VERCEL_OIDC_TOKEN;
  if (token?.trim()) return token.trim();
  throw new OidcTokenUnavailableError(headers ? "header-missing" : "outside-request");
}

const WHERE_AWS_CALLS_LIVE =
  "Call AWS from a Node.js route handler, server component or server action (the default runtime), and pass the result on: to a page as props, to proxy.ts or an Edge route through a fetch to that route.";

type Explanation = Pick<ExplainedError, "code" | "title" | "cause" | "fixes">;

/** Title, cause and fixes for each case; `detail` keeps the words Vercel users search for. */
export function explainOidcTokenUnavailable(error: OidcTokenUnavailableError): Explanation {
  switch (error.reason) {
    case "edge-runtime":
      return {
        code: "oidc-edge-runtime",
        title: "AWS cannot be called from the Edge runtime",
        cause:
          "This code runs in the Edge runtime (an Edge route, or middleware.ts without runtime 'nodejs'). Keyless refuses there: the AWS SDK's credential providers need Node.js, and Vercel does not document the x-vercel-oidc-token header for Edge functions (vercel/vercel#13885 reports it missing in Edge middleware).",
        fixes: [
          WHERE_AWS_CALLS_LIVE,
          "Remove `export const runtime = 'edge'` from the route (Next.js 16 marks Edge as deprecated for routes), or move the AWS call into a Node.js route and fetch it.",
        ],
      };
    case "outside-request":
      return {
        code: "oidc-outside-request",
        title: "No request is being handled, so there is no Vercel OIDC token",
        cause: `${HEADER_MISSING} No request context at all: this runs at module scope, in a timer or queue started outside a request, or after the invocation that scheduled it ended. On Vercel the token exists only as a header of each request.`,
        fixes: [
          "Make the AWS call inside a request (route handler, server component, server action). Work scheduled with after() inside a request keeps that request's token.",
          "For work that must outlive the request (longer than the function's maximum duration, or started later), hand it to a queue or a cron job that runs as its own request.",
        ],
      };
    case "header-missing":
      return {
        code: "oidc-header-missing",
        title: "This request carries no Vercel OIDC token",
        cause: `${HEADER_MISSING} The request reached the function without it: OIDC federation is off for the project, or this code runs in proxy.ts/middleware, where Vercel does not document the header (unconfirmed either way).`,
        fixes: [
          "Turn on OIDC federation in Vercel → Project → Settings → Security (Team issuer), then redeploy.",
          WHERE_AWS_CALLS_LIVE,
        ],
      };
    case "expired":
      return {
        code: "token-expired",
        title: "The identity token has expired",
        cause: `The Vercel OIDC token of this request expired at ${error.expiresAt}, so it was not sent to STS. Vercel reuses a function's token for a while and gives it a fixed lifetime; work that outlives it has no fresh header to use.`,
        fixes: [
          "Keep AWS work inside the request (or its after() callbacks) that received the token; start longer work as its own request (a queue, a cron job).",
          "Locally: run `vercel env pull` again for a fresh development token.",
        ],
      };
  }
}
