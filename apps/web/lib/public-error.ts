import "server-only";
import { explainAwsError } from "@repo/aws-auth/explain";
import type { CredentialResolution } from "@repo/aws-auth/mode";

/** What the page and the API may show about a failure: explained, never a stack or a secret. */
export interface PublicError {
  code: string;
  title: string;
  cause: string;
  fixes: string[];
  awsCode?: string;
  detail?: string;
  expected?: { sub?: string; aud?: string };
  token?: { iss?: string; aud?: string | string[]; sub?: string; expired: boolean };
  /** Where the code is explained (@repo/aws-auth's README, at the version in use). */
  docs?: string;
}

export function toPublicError(error: unknown, resolution: CredentialResolution): PublicError {
  // explainAwsError recognises an ExplainedAwsError thrown by another bundle's copy of the package
  // (Next bundles each route separately; the provider on globalThis is shared).
  const explained = explainAwsError(error, { resolution });
  // Copy field by field: anything explainAwsError adds later stays private until chosen here.
  const result: PublicError = {
    code: explained.code,
    title: explained.title,
    cause: explained.cause,
    fixes: [...explained.fixes],
  };
  if (explained.awsCode) result.awsCode = explained.awsCode;
  if (explained.docs) result.docs = explained.docs;
  if (explained.detail) result.detail = explained.detail;
  if (explained.expected) result.expected = { ...explained.expected };
  if (explained.token) {
    const { iss, aud, sub, expired } = explained.token;
    result.token = { iss, aud, sub, expired };
  }
  return result;
}

export const DETAILS_IN_LOG = "Details are in the function log.";

/**
 * What a production visitor sees: the code and a plain sentence, nothing about the account (no
 * account id, role ARN, token claims or raw AWS message). The full explanation goes to the
 * function log, where the owner reads it; it holds no secret (explainAwsError never copies one).
 */
export function forVisitors(error: PublicError, production: boolean): PublicError {
  if (!production) return error;
  console.error(`keyless: ${error.code}: ${JSON.stringify(error)}`);
  return { code: error.code, title: visitorTitle(error), cause: DETAILS_IN_LOG, fixes: [] };
}

// Titles are plain sentences except the catch-all, which names an AWS error code.
function visitorTitle(error: PublicError): string {
  return error.awsCode && error.title.includes(error.awsCode) ? "AWS request failed" : error.title;
}
