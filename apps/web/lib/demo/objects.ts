import "server-only";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

export const OBJECTS_PER_PAGE = 20;

export interface BucketObject {
  key: string;
  size: number;
  /** ISO 8601, so the page can render it without a Date crossing into client code. */
  lastModified: string | undefined;
}

export interface ObjectPage {
  objects: BucketObject[];
  /** The continuation token this page started from (absent on the first page). */
  after: string | undefined;
  /** The token for the next page, when there is one. */
  next: string | undefined;
}

/** S3 continuation tokens are opaque and short; refuse anything that cannot be one. */
export function continuationTokenFrom(value: string | string[] | undefined): string | undefined {
  const token = Array.isArray(value) ? value[0] : value;
  if (!token || token.length > 1024 || !/^[\x21-\x7e]+$/.test(token)) return undefined;
  return token;
}

export async function listObjectPage(
  s3: S3Client,
  bucket: string,
  after: string | undefined,
  pageSize = OBJECTS_PER_PAGE,
  /** Only keys under this prefix (this environment's data, or its uploads in production). */
  prefix = "",
): Promise<ObjectPage> {
  const answer = await s3.send(
    new ListObjectsV2Command({
      Bucket: bucket,
      MaxKeys: pageSize,
      ContinuationToken: after,
      ...(prefix ? { Prefix: prefix } : {}),
    }),
  );
  return {
    objects: (answer.Contents ?? []).map((item) => ({
      key: item.Key ?? "",
      size: item.Size ?? 0,
      lastModified: item.LastModified?.toISOString(),
    })),
    after,
    next: answer.IsTruncated ? answer.NextContinuationToken : undefined,
  };
}
