import { serverEnv } from "../../../lib/env";
import { handleUploadRequest } from "../../../lib/upload";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return handleUploadRequest(request, { bucket: serverEnv().S3_BUCKET });
}
