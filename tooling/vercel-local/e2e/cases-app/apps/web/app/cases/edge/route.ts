import { awsClientConfig } from "@repo/aws-auth/client-config";

export const runtime = "edge";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  try {
    const config = awsClientConfig();
    const credentials = await config.credentials();
    return Response.json({ ok: true, expiration: credentials.expiration });
  } catch (error) {
    const { explained, message } = error as { explained?: unknown; message?: string };
    return Response.json({ ok: false, explained, message }, { status: 503 });
  }
}
