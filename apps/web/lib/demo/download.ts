import "server-only";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { diagnose } from "@repo/aws-auth/mode";
import { type AwsClients, awsClients } from "../aws";
import { isProductionDeployment } from "../deployment";
import {
  BUCKET_NOT_CONFIGURED,
  DEMO_OFF,
  errorResponse,
  NO_STORE,
  outsideScope,
  requestProblem,
} from "../http";
import { forVisitors, toPublicError } from "../public-error";
import { demoScope, mayServeKey } from "./access";
import { presign } from "./presign";

export const DOWNLOAD_URL_SECONDS = 60;

/** S3 keys are 1-1024 bytes of UTF-8; control characters have no business in a link. */
export function isValidObjectKey(key: string | null): key is string {
  if (!key) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return Buffer.byteLength(key, "utf8") <= 1024 && !/[\u0000-\u001f\u007f]/.test(key);
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266). */
export function attachmentDisposition(key: string): string {
  const name = key.split("/").pop() || "download";
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export interface DownloadOptions {
  bucket: string | undefined;
  env?: NodeJS.ProcessEnv;
  clients?: () => AwsClients;
}

/** GET /api/download?key=…: redirects to a short-lived presigned GET for an existing object. */
export async function handleDownloadRequest(
  request: Request,
  options: DownloadOptions,
): Promise<Response> {
  const key = new URL(request.url).searchParams.get("key");
  if (!isValidObjectKey(key)) {
    return errorResponse(
      requestProblem(
        "invalid-key",
        "Which object?",
        "The key parameter is missing, longer than 1024 bytes or contains control characters.",
        ["Open /api/download?key=<object key> with a key from the bucket listing."],
      ),
      400,
    );
  }
  const env = options.env ?? process.env;
  const scope = demoScope(env);
  // Decided before any AWS call: production hands out nothing unless the demo is on, and then
  // only uploads; every environment only its own prefix.
  if (scope.access === "off") return errorResponse(DEMO_OFF, 403);
  if (!mayServeKey(scope, key)) return errorResponse(outsideScope(scope.keyPrefix), 403);
  if (!options.bucket) return errorResponse(BUCKET_NOT_CONFIGURED, 503);

  const resolution = diagnose(env);
  try {
    const clients = (options.clients ?? awsClients)();
    // Checking first turns a missing object into a clear 404 instead of S3's XML at the browser.
    await clients.s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
    const { url } = await presign(
      clients,
      new GetObjectCommand({
        Bucket: options.bucket,
        Key: key,
        ResponseContentDisposition: attachmentDisposition(key),
      }),
      DOWNLOAD_URL_SECONDS,
    );
    return new Response(null, { status: 307, headers: { ...NO_STORE, Location: url } });
  } catch (error) {
    if (isNotFound(error)) {
      return errorResponse(
        requestProblem("not-found", "No such object", "The bucket has no object with this key.", [
          "Reload the page: the object may have been deleted.",
        ]),
        404,
      );
    }
    return errorResponse(
      forVisitors(toPublicError(error, resolution), isProductionDeployment(env)),
      503,
    );
  }
}

function isNotFound(error: unknown): boolean {
  const named = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    named?.name === "NotFound" ||
    named?.name === "NoSuchKey" ||
    named?.$metadata?.httpStatusCode === 404
  );
}
