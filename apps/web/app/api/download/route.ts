import { handleDownloadRequest } from "../../../lib/demo/download";
import { serverEnv } from "../../../lib/env";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return handleDownloadRequest(request, { bucket: serverEnv().S3_BUCKET });
}
