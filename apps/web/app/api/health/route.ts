import { checkHealth } from "../../../lib/health";
import { jsonResponse } from "../../../lib/http";

// AWS SDK + credential provider: Node runtime, evaluated per request, never at build time.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const report = await checkHealth();
  return jsonResponse(report.body, report.status);
}
