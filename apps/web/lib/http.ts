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
