// P7's baseline: what a route calling S3 costs without @repo/aws-auth. Static keys, one S3 call,
// nothing else of the app imported. Laid over the P7 build's clone only (see ../../../../README.md).
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// @vercel/next puts route handlers with equal settings into one Vercel function (api/health shares
// one with api/download and api/upload); a maxDuration of its own gives this route a function of
// its own, so its first request is its own cold start and its trace holds only what it needs.
export const maxDuration = 11;

// Module scope, as most apps write it. `sandbox` is the sandbox's placeholder key: its gateway
// signs such calls again with its admin key (a real deployment would need stored keys here — what
// Keyless exists to avoid). The SDK itself reads the deployment's AWS_REGION and AWS_ENDPOINT_URL
// (the sandbox); path-style because that endpoint is an address, not a bucket's host name.
const s3 = new S3Client({
  forcePathStyle: true,
  credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
});

/** GET /api/bare-s3?bucket=NAME: the runner names the stack's bucket, so no variable is read here. */
export async function GET(request: Request): Promise<Response> {
  const bucket = new URL(request.url).searchParams.get("bucket");
  if (!bucket) return Response.json({ ok: false, error: "no ?bucket=" }, { status: 400 });
  try {
    const answer = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
    return Response.json({ ok: true, keyCount: answer.KeyCount ?? 0 });
  } catch (error) {
    return Response.json({ ok: false, error: (error as Error).name }, { status: 503 });
  }
}
