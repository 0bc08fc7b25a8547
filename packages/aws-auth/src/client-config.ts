import type { EnvLike } from "./mode";
import { processCredentials, type SharedCredentialProvider } from "./provider";

/** What every AWS SDK v3 client takes: DynamoDB, SQS, Bedrock, STS, S3. */
export interface AwsClientConfig {
  region: string;
  credentials: SharedCredentialProvider;
  /** AWS_ENDPOINT_URL, passed explicitly so an env object other than process.env works too. */
  endpoint?: string;
}

/** S3's extras on top of AwsClientConfig. */
export interface S3ClientConfig extends AwsClientConfig {
  /**
   * Checksums only where an operation requires them. The SDK's default adds a CRC32 of the body to
   * every PUT, which a presigned PUT from the browser cannot match.
   */
  requestChecksumCalculation: "WHEN_REQUIRED";
  /** Set only when an endpoint override is in force (the sandbox): S3 on localhost needs path-style URLs. */
  forcePathStyle?: boolean;
}

/**
 * Everything an AWS SDK v3 client needs: `new DynamoDBClient(awsClientConfig())`; S3 takes
 * s3ClientConfig(). Every client built from either shares the process's one credential provider.
 * A service-specific AWS_ENDPOINT_URL_<SERVICE> in process.env still applies: the SDK reads those
 * itself. Throws an ExplainedAwsError when the configuration cannot work (mode `none`, blocking
 * findings).
 */
export function awsClientConfig(env: EnvLike = process.env): AwsClientConfig {
  const { provider, resolution } = processCredentials(env);
  // A missing region is a blocking finding, so a resolution that got this far has one.
  const region = resolution.region as string;
  const config: AwsClientConfig = { region, credentials: provider };
  if (resolution.endpoint) config.endpoint = resolution.endpoint;
  return config;
}

/** awsClientConfig() with S3's extras: `new S3Client(s3ClientConfig())`. */
export function s3ClientConfig(env: EnvLike = process.env): S3ClientConfig {
  const config: S3ClientConfig = {
    ...awsClientConfig(env),
    requestChecksumCalculation: "WHEN_REQUIRED",
  };
  if (config.endpoint || env.AWS_ENDPOINT_URL_S3) config.forcePathStyle = true;
  return config;
}
