import "server-only";
import type { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { AwsClients } from "../aws";

type Presignable = GetObjectCommand | PutObjectCommand;
type PresignOptions = NonNullable<Parameters<typeof getSignedUrl>[2]>;

/**
 * Seconds a presigned URL may live: what the caller wants, but never past `servedUntil` — the
 * moment the provider stops handing out the signing credentials, a margin before they expire
 * (`@repo/aws-auth`'s validity.ts). A URL outliving its session would be refused by S3 anyway,
 * and should not exist.
 */
export function presignLifetime(
  wanted: number,
  servedUntil: Date | undefined,
  now: number,
): number {
  if (!servedUntil) return wanted;
  return Math.min(wanted, Math.floor((servedUntil.getTime() - now) / 1000));
}

export class CredentialsTooShortError extends Error {
  override name = "CredentialsTooShortError";
}

/** Presigns `command` for at most `wanted` seconds, and never past what the provider serves. */
export async function presign(
  clients: Pick<AwsClients, "s3" | "credentials">,
  command: Presignable,
  wanted: number,
  options: Omit<PresignOptions, "expiresIn"> = {},
  now = Date.now,
): Promise<{ url: string; expiresIn: number }> {
  const credentials = await clients.credentials();
  const expiresIn = presignLifetime(wanted, clients.credentials.servedUntil(credentials), now());
  if (expiresIn < 1) {
    throw new CredentialsTooShortError(
      "the signing credentials expire before the URL could be used",
    );
  }
  const url = await getSignedUrl(clients.s3, command as GetObjectCommand, {
    ...options,
    expiresIn,
  });
  return { url, expiresIn };
}
