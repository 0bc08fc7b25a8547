import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { s3ClientConfig } from "@repo/aws-auth/client-config";
import { resetCredentialProvider } from "@repo/aws-auth/provider";
import type { BenchSandbox } from "./lib/sandbox";
import { mean, percentile } from "./lib/stats";

/**
 * P2 — what the shared provider costs once credentials are cached.
 * - Resolution: our provider called directly, timed one call at a time (process.hrtime).
 * - ListObjectsV2 against moto (through the sandbox gateway): one client on our provider, one on
 *   the same credentials as static keys, same endpoint and HTTP handler, calls interleaved
 *   A B B A so that drift in this noisy machine's load hits both sides alike.
 */
export interface P2Result {
  resolutionCalls: number;
  resolutionP50Us: number;
  resolutionP99Us: number;
  staticResolutionP50Us: number;
  staticResolutionP99Us: number;
  listCalls: number;
  listOursP50Ms: number;
  listStaticP50Ms: number;
  listOursMeanMs: number;
  listStaticMeanMs: number;
  /** p50 with our provider ÷ p50 with static keys. */
  listRatioP50: number;
  listRatioMean: number;
}

async function timeCalls(count: number, call: () => Promise<unknown>): Promise<number[]> {
  const micros: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await call();
    micros.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return micros;
}

export async function runP2(sandbox: BenchSandbox, options: { quick: boolean }): Promise<P2Result> {
  resetCredentialProvider();
  const config = s3ClientConfig(sandbox.appEnv);
  const provider = config.credentials;
  const credentials = await provider();
  const staticKeys = {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
  };
  const staticProvider = async () => staticKeys;

  const resolutionCalls = options.quick ? 20_000 : 200_000;
  await timeCalls(5_000, provider); // warm-up (JIT)
  await timeCalls(5_000, staticProvider);
  const ours = await timeCalls(resolutionCalls, provider);
  const baseline = await timeCalls(resolutionCalls, staticProvider);

  const withOurs = new S3Client(config);
  // The same HTTP handler (same keep-alive sockets to moto): only the credentials differ.
  const withStatic = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials: staticKeys,
    requestHandler: withOurs.config.requestHandler,
  });
  const list = (client: S3Client) => () =>
    client.send(new ListObjectsV2Command({ Bucket: sandbox.bucket }));
  const listCalls = options.quick ? 100 : 1_000;
  for (let i = 0; i < 20; i++) {
    await list(withOurs)();
    await list(withStatic)();
  }
  const oursMs: number[] = [];
  const staticMs: number[] = [];
  for (let i = 0; i < listCalls / 2; i++) {
    const order = i % 2 === 0 ? [withOurs, withStatic] : [withStatic, withOurs];
    for (const client of order) {
      const [micros] = await timeCalls(1, list(client));
      (client === withOurs ? oursMs : staticMs).push((micros as number) / 1000);
    }
  }
  withOurs.destroy();
  withStatic.destroy();
  resetCredentialProvider();
  return {
    resolutionCalls,
    resolutionP50Us: percentile(ours, 50),
    resolutionP99Us: percentile(ours, 99),
    staticResolutionP50Us: percentile(baseline, 50),
    staticResolutionP99Us: percentile(baseline, 99),
    listCalls,
    listOursP50Ms: percentile(oursMs, 50),
    listStaticP50Ms: percentile(staticMs, 50),
    listOursMeanMs: mean(oursMs),
    listStaticMeanMs: mean(staticMs),
    listRatioP50: percentile(oursMs, 50) / percentile(staticMs, 50),
    listRatioMean: mean(oursMs) / mean(staticMs),
  };
}
