import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { awsClientConfig } from "@repo/aws-auth/client-config";
import { after } from "next/server";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Credentials fetched inside the request; AWS called again after the response was sent. With
// ?refresh=1 the cached credentials are dropped first, so after() must exchange a token itself.
export async function GET(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const id = url.searchParams.get("id") ?? "?";
  const config = awsClientConfig();
  await config.credentials();
  const sts = new STSClient(config);
  after(async () => {
    try {
      if (url.searchParams.get("refresh") === "1") config.credentials.invalidate();
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      console.log(`after() ${id}: ok ${identity.Arn}`);
    } catch (error) {
      const { explained, message } = error as { explained?: { code: string }; message?: string };
      console.log(`after() ${id}: failed ${explained?.code ?? message}`);
    }
  });
  return Response.json({ scheduled: id });
}
