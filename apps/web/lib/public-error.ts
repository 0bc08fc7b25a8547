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
  if (explained.detail) result.detail = explained.detail;
  if (explained.expected) result.expected = { ...explained.expected };
  if (explained.token) {
    const { iss, aud, sub, expired } = explained.token;
    result.token = { iss, aud, sub, expired };
  }
  return result;
}

/** Production answers name the failure, nothing about the configuration behind it. */
export function briefError(error: PublicError): Pick<PublicError, "code" | "title"> {
  return { code: error.code, title: error.title };
}
