import "server-only";
import { diagnose } from "@repo/aws-auth/mode";
import { type AwsClients, awsClients } from "../aws";
import { isProductionDeployment } from "../deployment";
import { forVisitors, type PublicError, toPublicError } from "../public-error";
import { type DemoAccess, demoScope } from "./access";
import { listObjectPage, type ObjectPage } from "./objects";

/** What the bucket demo shows: this deployment's objects, or why it cannot. */
export interface BucketDemo {
  /** What visitors may do with the bucket here (see access.ts). */
  access: DemoAccess;
  /** S3_BUCKET; a production visitor is not told it. */
  bucket: string | undefined;
  production: boolean;
  objects?: ObjectPage;
  /** The credentials work (the page says so) but listing the bucket failed. */
  bucketError?: PublicError;
}

export interface BucketDemoOptions {
  /** Continuation token of the bucket page to show. */
  after?: string;
  /** S3_BUCKET, as the app's environment validated it. */
  bucket?: string;
  env?: NodeJS.ProcessEnv;
  clients?: () => AwsClients;
}

/**
 * The demo's data, after the page found that the credentials work: one page of this deployment's
 * own keys (production with the demo off lists nothing). Never throws for AWS failures.
 */
export async function loadBucketDemo(options: BucketDemoOptions = {}): Promise<BucketDemo> {
  const env = options.env ?? process.env;
  const scope = demoScope(env);
  const production = isProductionDeployment(env);
  const configured = options.bucket;
  const data: BucketDemo = {
    access: scope.access,
    bucket: production ? undefined : configured,
    production,
  };
  if (scope.access === "off" || !configured) return data;
  try {
    const clients = (options.clients ?? awsClients)();
    data.objects = await listObjectPage(
      clients.s3,
      configured,
      options.after,
      undefined,
      scope.keyPrefix,
    );
  } catch (error) {
    const explained = toPublicError(error, diagnose(env));
    data.bucketError = production ? forVisitors(explained, true) : explained;
  }
  return data;
}
