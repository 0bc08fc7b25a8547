import "server-only";
import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { diagnose } from "@repo/aws-auth/mode";
import { z } from "zod";
import { type AwsClients, awsClients } from "../aws";
import { isProductionDeployment } from "../deployment";
import {
  BUCKET_NOT_CONFIGURED,
  DEMO_OFF,
  errorResponse,
  jsonResponse,
  requestProblem,
} from "../http";
import { forVisitors, toPublicError } from "../public-error";
import { demoScope, UPLOADS_FOLDER } from "./access";
import { presign } from "./presign";
import { ALLOWED_CONTENT_TYPES, formatBytes, MAX_UPLOAD_BYTES } from "./upload-policy";

export const UPLOAD_URL_SECONDS = 300;

const uploadRequestSchema = z.object({
  filename: z
    .string({ error: "filename is required: the name of the file being uploaded." })
    .min(1, { error: "filename must not be empty." })
    .max(200, { error: "filename must be at most 200 characters." }),
  contentType: z.enum(ALLOWED_CONTENT_TYPES, {
    error: `contentType must be one of ${ALLOWED_CONTENT_TYPES.join(", ")}.`,
  }),
  size: z
    .number({ error: "size is required: the file's size in bytes." })
    .int({ error: "size must be a whole number of bytes." })
    .min(1, { error: "size must be at least 1 byte: empty files are not uploaded." })
    .max(MAX_UPLOAD_BYTES, {
      error: `size must be at most ${formatBytes(MAX_UPLOAD_BYTES)} (${MAX_UPLOAD_BYTES} bytes).`,
    }),
});

export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export interface UploadTicket {
  method: "PUT";
  url: string;
  key: string;
  /** Headers the PUT must send exactly as signed. */
  headers: { "Content-Type": string };
  expiresAt: string;
}

/**
 * A fresh key for an upload: `<prefix>uploads/<random id>/<safe name>`. The random folder means an
 * upload can never replace another visitor's object, whatever name they chose.
 */
export function objectKeyFor(
  filename: string,
  dataPrefix = "",
  id: string = randomUUID(),
): string | undefined {
  const base = filename.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  const [stem, extension] = dot > 0 ? [base.slice(0, dot), base.slice(dot + 1)] : [base, ""];
  const clean = (part: string) =>
    part
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "") // accents split off by NFKD: résumé → resume
      .replace(/[^\w.-]+/g, "-")
      .replace(/-{2,}/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "");
  const safeStem = clean(stem).slice(0, 100);
  const safeExtension = clean(extension).slice(0, 16);
  if (!safeStem) return undefined;
  return `${dataPrefix}${UPLOADS_FOLDER}${id}/${safeStem}${safeExtension ? `.${safeExtension}` : ""}`;
}

export interface UploadOptions {
  bucket: string | undefined;
  env?: NodeJS.ProcessEnv;
  clients?: () => AwsClients;
  now?: () => number;
}

/**
 * POST /api/upload: checks the size and type the browser declares and answers with a presigned
 * PUT whose signature covers Content-Type and Content-Length, so S3 refuses any other body.
 */
export async function handleUploadRequest(
  request: Request,
  options: UploadOptions,
): Promise<Response> {
  const env = options.env ?? process.env;
  const scope = demoScope(env);
  if (scope.access === "off") return errorResponse(DEMO_OFF, 403);
  const mediaType = request.headers.get("content-type")?.split(";")[0]?.trim();
  // Requiring JSON also keeps cross-site HTML forms (which cannot send it) from using the route.
  if (mediaType !== "application/json") {
    return errorResponse(
      requestProblem(
        "unsupported-media-type",
        "Send the upload request as JSON",
        `The request's Content-Type is ${mediaType ? `"${mediaType}"` : "missing"}.`,
        [
          'POST a JSON body { "filename", "contentType", "size" } with Content-Type: application/json.',
        ],
      ),
      415,
    );
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return errorResponse(
      requestProblem("invalid-json", "The request body is not JSON", "It could not be parsed.", [
        'Send { "filename": "notes.txt", "contentType": "text/plain", "size": 123 }.',
      ]),
      400,
    );
  }
  const parsed = uploadRequestSchema.safeParse(body);
  if (!parsed.success) {
    return errorResponse(
      requestProblem(
        "invalid-upload",
        "This file cannot be uploaded",
        "The server checks every upload's name, type and size before signing it.",
        parsed.error.issues.map((issue) => issue.message),
      ),
      400,
    );
  }
  const key = objectKeyFor(parsed.data.filename, scope.dataPrefix);
  if (!key) {
    return errorResponse(
      requestProblem(
        "invalid-upload",
        "This file cannot be uploaded",
        "The file name has no usable characters.",
        ["Rename the file to use letters, digits, dots, hyphens or underscores."],
      ),
      400,
    );
  }
  if (!options.bucket) return errorResponse(BUCKET_NOT_CONFIGURED, 503);

  const resolution = diagnose(env);
  try {
    const clients = (options.clients ?? awsClients)();
    const command = new PutObjectCommand({
      Bucket: options.bucket,
      Key: key,
      ContentType: parsed.data.contentType,
      ContentLength: parsed.data.size,
    });
    const now = options.now ?? Date.now;
    const signedAt = now();
    const { url, expiresIn } = await presign(
      clients,
      command,
      UPLOAD_URL_SECONDS,
      { signableHeaders: new Set(["content-type", "content-length"]) },
      () => signedAt,
    );
    const ticket: UploadTicket = {
      method: "PUT",
      url,
      key,
      headers: { "Content-Type": parsed.data.contentType },
      expiresAt: new Date(signedAt + expiresIn * 1000).toISOString(),
    };
    return jsonResponse(ticket);
  } catch (error) {
    const explained = toPublicError(error, resolution);
    return errorResponse(forVisitors(explained, isProductionDeployment(env)), 503);
  }
}
