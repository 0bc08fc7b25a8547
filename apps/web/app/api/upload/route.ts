import { handleUploadRequest } from "../../../lib/demo/upload";
import { serverEnv } from "../../../lib/env";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return handleUploadRequest(request, { bucket: serverEnv().S3_BUCKET });
}
