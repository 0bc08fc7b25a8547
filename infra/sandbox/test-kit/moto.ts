// A moto server (real third-party AWS emulator) for one test file, started by the sandbox's own
// launcher: a free port on 127.0.0.1, ready before the tests start, gone with the test process.
// Missing moto fails loudly (MotoUnavailableError names `pip install "moto[server]"`): these
// tests are the only proof the template deploys, so they are never skipped.

import { startMoto as startSandboxMoto } from "../src/moto";

export const MOTO_ACCOUNT = "123456789012";
export const MOTO_REGION = "us-east-1";

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Spread into any AWS SDK v3 client's constructor. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(options: { readyTimeoutMs?: number } = {}): Promise<MotoServer> {
  const moto = await startSandboxMoto({ readyTimeoutMs: options.readyTimeoutMs ?? 30_000 });
  return {
    endpoint: moto.endpoint,
    port: moto.port,
    clientConfig: {
      endpoint: moto.endpoint,
      region: MOTO_REGION,
      // moto accepts any credentials; these are obviously not real ones.
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    },
    reset: () => moto.reset(),
    stop: () => moto.stop(),
  };
}
