import { awsClientConfig } from "@repo/aws-auth/client-config";
import { NextResponse } from "next/server";

export const config = { matcher: "/cases/proxy" };

export async function proxy(): Promise<Response> {
  try {
    const credentials = await awsClientConfig().credentials();
    return NextResponse.json({ ok: true, expiration: credentials.expiration });
  } catch (error) {
    const { explained, message } = error as { explained?: unknown; message?: string };
    return NextResponse.json({ ok: false, explained, message }, { status: 503 });
  }
}
