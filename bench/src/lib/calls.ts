import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { Clients } from "./strategies";

export const BENCH_BUCKET = "keyless-bench";

/** One request of the app: even ones list the bucket (S3), odd ones ask who we are (STS). */
export async function appCall(clients: Clients, index: number, bucket = BENCH_BUCKET) {
  if (index % 2 === 0) {
    await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 10 }));
  } else {
    await clients.sts.send(new GetCallerIdentityCommand({}));
  }
}

/** Runs `call` and reports failures instead of throwing (a benchmark counts them). */
export async function settle(call: Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await call;
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}
