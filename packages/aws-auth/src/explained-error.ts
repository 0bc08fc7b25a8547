// Type-only: nothing of token.ts (Node-only) is loaded by this module.
import { docsLink } from "./docs-link";
import type { TokenSummary } from "./types";

/** An AWS failure turned into something a person can act on. Never holds a secret. */
export interface ExplainedError {
  code: string;
  title: string;
  cause: string;
  fixes: string[];
  /** The AWS error code (`AccessDenied`, `InvalidIdentityToken`, …), when there was one. */
  awsCode?: string;
  httpStatus?: number;
  /** The original message, with anything token-shaped removed. */
  detail?: string;
  /** What the token presented to STS claims (decoded, never the token itself). */
  token?: TokenSummary;
  /** What the role's trust policy expects, when the caller knows it (verify, the sandbox). */
  expected?: { sub?: string; aud?: string };
  /** Where the code is explained (this package's README, at the version in use). */
  docs?: string;
}

/** The explanation with its documentation link. */
export const withDocs = (explained: ExplainedError): ExplainedError => ({
  ...explained,
  docs: explained.docs ?? docsLink(explained.code),
});

const BRAND = Symbol.for("keyless.aws-auth.ExplainedAwsError");

/** An error that carries its explanation; thrown by the shared provider and the client config. */
export class ExplainedAwsError extends Error {
  override name = "ExplainedAwsError";
  readonly [BRAND] = true;
  readonly explained: ExplainedError;
  constructor(explained: ExplainedError, options?: { cause?: unknown }) {
    super(`${explained.title}: ${explained.cause}`, options);
    this.explained = withDocs(explained);
  }
}

/**
 * True for an ExplainedAwsError from any copy of this module. Bundlers (Next.js builds each route
 * separately) can load the class more than once, and the process-wide provider may throw another
 * copy's instance, so `instanceof` alone is not enough.
 */
export function isExplainedAwsError(error: unknown): error is ExplainedAwsError {
  return (
    error instanceof ExplainedAwsError ||
    (typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[BRAND] === true)
  );
}
