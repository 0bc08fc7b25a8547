import type { PublicError } from "./public-error";

/** Every API answer here is about live credentials or one user's action: never cache it. */
export const NO_STORE = { "Cache-Control": "no-store" } as const;

export function jsonResponse(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: NO_STORE });
}

export function errorResponse(error: PublicError, status: number): Response {
  return jsonResponse({ error }, status);
}

/** Failures of the request itself (not of AWS), in the same explained shape. */
export function requestProblem(
  code: string,
  title: string,
  cause: string,
  fixes: string[],
): PublicError {
  return { code, title, cause, fixes };
}

export const BUCKET_NOT_CONFIGURED = requestProblem(
  "bucket-not-configured",
  "No bucket configured",
  "S3_BUCKET is not set, so there is nothing to upload to or download from.",
  [
    "Set S3_BUCKET to the BucketName output of `pnpm infra:deploy` (locally in the repository-root .env, on Vercel in the project's Environment Variables).",
  ],
);

export const DEMO_OFF = requestProblem(
  "demo-off",
  "The object demo is off in production",
  "This production deployment does not list, upload or download objects.",
  [
    "The owner can set KEYLESS_PUBLIC_DEMO=on in the Vercel project's production environment and redeploy: every visitor may then upload files and download files under uploads/.",
  ],
);

/** A key this deployment does not hand out (another environment's data, or outside uploads/). */
export function outsideScope(keyPrefix: string): PublicError {
  return requestProblem(
    "key-not-allowed",
    "This object is not available here",
    keyPrefix
      ? `This deployment serves only keys that start with "${keyPrefix}".`
      : "This deployment does not serve this key.",
    ["Use a Download link from the object list."],
  );
}
