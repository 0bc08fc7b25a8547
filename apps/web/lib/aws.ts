import "server-only";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { awsClientConfig, s3ClientConfig } from "@repo/aws-auth/client-config";
import type { SharedCredentialProvider } from "@repo/aws-auth/provider";

export interface AwsClients {
  s3: S3Client;
  sts: STSClient;
  credentials: SharedCredentialProvider;
  region: string;
}

// On globalThis so `next dev` hot reloads reuse the clients (and their cached credentials)
// instead of building a new pair, and a new STS exchange, on every edit.
const slot = Symbol.for("keyless.web.awsClients");
type Holder = typeof globalThis & { [slot]?: AwsClients };

/**
 * The process's one S3 client and one STS client, built on first use from the shared credential
 * provider. Throws ExplainedAwsError when no AWS is configured or the configuration is broken.
 */
export function awsClients(): AwsClients {
  const holder = globalThis as Holder;
  if (!holder[slot]) {
    const config = awsClientConfig();
    holder[slot] = {
      // S3's extras: checksums only where S3 requires them (a presigned PUT from the browser
      // cannot carry one), path-style URLs on the sandbox.
      s3: new S3Client(s3ClientConfig()),
      sts: new STSClient(config),
      credentials: config.credentials,
      region: config.region,
    };
  }
  return holder[slot];
}

/** Tests only: forget the clients so the next call rebuilds them from the current environment. */
export function resetAwsClients(): void {
  const holder = globalThis as Holder;
  if (holder[slot]) {
    holder[slot].s3.destroy();
    holder[slot].sts.destroy();
  }
  delete holder[slot];
}
