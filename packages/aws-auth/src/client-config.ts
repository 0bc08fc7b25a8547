import type { EnvLike } from "./mode";
import { processCredentials, type SharedCredentialProvider } from "./provider";

export interface AwsClientConfig {
  region: string;
  credentials: SharedCredentialProvider;
  /** AWS_ENDPOINT_URL, passed explicitly so an env object other than process.env works too. */
  endpoint?: string;
  /**
   * Checksums only where an operation requires them. The SDK's default adds a CRC32 of the body to
   * every PUT, which a presigned PUT from the browser cannot match.
   */
  requestChecksumCalculation: "WHEN_REQUIRED";
  /** Set only when an endpoint override is in force (the sandbox): S3 on localhost needs path-style URLs. */
  forcePathStyle?: boolean;
}

/**
 * Everything an AWS SDK v3 client needs: `new S3Client(awsClientConfig())`.
 * Every client built from it shares the process's one credential provider. A service-specific
 * AWS_ENDPOINT_URL_<SERVICE> in process.env still applies: the SDK reads those itself.
 * Throws an ExplainedAwsError when the configuration cannot work (mode `none`, blocking findings).
 */
export function awsClientConfig(env: EnvLike = process.env): AwsClientConfig {
  const { provider, resolution } = processCredentials(env);
  // A missing region is a blocking finding, so a resolution that got this far has one.
  const region = resolution.region as string;
  const config: AwsClientConfig = {
    region,
    credentials: provider,
    requestChecksumCalculation: "WHEN_REQUIRED",
  };
  if (resolution.endpoint) config.endpoint = resolution.endpoint;
  if (resolution.endpoint || env.AWS_ENDPOINT_URL_S3) config.forcePathStyle = true;
  return config;
}
