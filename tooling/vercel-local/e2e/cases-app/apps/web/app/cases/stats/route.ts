import { awsClientConfig } from "@repo/aws-auth/client-config";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const config = awsClientConfig();
  try {
    await config.credentials();
  } catch (error) {
    const { explained } = error as { explained?: unknown };
    return Response.json(
      { ok: false, explained, stats: config.credentials.stats() },
      { status: 503 },
    );
  }
  return Response.json({ ok: true, stats: config.credentials.stats() });
}
