import { awsAuthServerSchema } from "@repo/aws-auth/env";
import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

/** The app's own variables; the AWS ones come from @repo/aws-auth's schema. */
export const appServerSchema = {
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      error: (issue) =>
        `S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, dots or hyphens), ` +
        `got "${String(issue.input)}". Use the BucketName output of \`pnpm infra:deploy\` ` +
        `(or the bucket \`pnpm sandbox\` prints).`,
    })
    .optional(),
  // Production shows no bucket data unless the owner says so; a typo must not count as either.
  KEYLESS_PUBLIC_DEMO: z
    .enum(["on", "off"], {
      error: (issue) =>
        `KEYLESS_PUBLIC_DEMO must be "on" or "off" (or unset, which is off), got "${String(issue.input)}". ` +
        "On turns the object list, upload and download under uploads/ on for every visitor of production.",
    })
    .optional(),
  S3_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}\/$/, {
      error: (issue) =>
        `S3_PREFIX must be this environment's folder in the bucket, such as "production/", got "${String(issue.input)}". ` +
        "Use the S3_PREFIX line of the stack's VercelEnv output, or leave it unset on Vercel (VERCEL_ENV decides).",
    })
    .optional(),
};

/** Thrown when a variable is malformed; the message names each variable and its fix. */
export class InvalidEnvironmentError extends Error {
  override name = "InvalidEnvironmentError";
}

interface Issue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

export function describeEnvIssues(issues: readonly Issue[]): string {
  const lines = issues.map((issue) => {
    const first = issue.path?.[0];
    const key = typeof first === "object" && first !== null ? first.key : first;
    return `  - ${key === undefined ? "environment" : String(key)}: ${issue.message}`;
  });
  return [
    "Invalid environment variables for apps/web:",
    ...lines,
    "Fix them in the repository-root .env (locally) or in the Vercel project's Environment",
    "Variables, then run the command again. SKIP_ENV_VALIDATION=1 skips this check.",
  ].join("\n");
}

/**
 * Validates the server environment once. `SKIP_ENV_VALIDATION=1` skips the check (for tools that
 * build without configuration); empty strings count as unset.
 */
export function parseServerEnv() {
  return createEnv({
    server: { ...awsAuthServerSchema, ...appServerSchema },
    experimental__runtimeEnv: {},
    emptyStringAsUndefined: true,
    skipValidation: process.env.SKIP_ENV_VALIDATION === "1",
    onValidationError: (issues) => {
      throw new InvalidEnvironmentError(describeEnvIssues(issues));
    },
  });
}

export type ServerEnv = ReturnType<typeof parseServerEnv>;

let cached: ServerEnv | undefined;

/** The validated environment, parsed on first use so tests and next.config control when. */
export function serverEnv(): ServerEnv {
  cached ??= parseServerEnv();
  return cached;
}
