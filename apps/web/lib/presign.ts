import "server-only";
import type { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { AwsClients } from "./aws";

type Presignable = GetObjectCommand | PutObjectCommand;
type PresignOptions = NonNullable<Parameters<typeof getSignedUrl>[2]>;

/**
 * Seconds a presigned URL may live: what the caller wants, but never past the credentials that
 * sign it (a URL outliving its session would be refused by S3 anyway, and should not exist).
 */
export function presignLifetime(wanted: number, expiration: Date | undefined, now: number): number {
  if (!expiration) return wanted;
  return Math.min(wanted, Math.floor((expiration.getTime() - now) / 1000));
}

export class CredentialsTooShortError extends Error {
  override name = "CredentialsTooShortError";
}

/** Presigns `command` for at most `wanted` seconds and at most the signing credentials' life. */
export async function presign(
  clients: Pick<AwsClients, "s3" | "credentials">,
  command: Presignable,
  wanted: number,
  options: Omit<PresignOptions, "expiresIn"> = {},
  now = Date.now,
): Promise<{ url: string; expiresIn: number }> {
  const credentials = await clients.credentials();
  const expiresIn = presignLifetime(wanted, credentials.expiration, now());
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
