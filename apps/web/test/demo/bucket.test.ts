// The bucket demo's data: one page of this deployment's objects, the next page, and what it says
// when the bucket is missing, unset, or (in production) off. The demo's own: it goes with it.

import { beforeAll, describe, expect, it, vi } from "vitest";
import { awsClients } from "../../lib/aws";
import { loadDashboard } from "../../lib/dashboard";
import { loadBucketDemo } from "../../lib/demo/bucket";
import { OBJECTS_PER_PAGE } from "../../lib/demo/objects";
import { createBucketWith, useWebIdentityEnv } from "../helpers/aws";

const BUCKET = "demo-test-bucket";
const KEYS = Array.from(
  { length: OBJECTS_PER_PAGE + 5 },
  (_, i) => `seed/object-${String(i).padStart(2, "0")}.txt`,
);

describe("loadBucketDemo against moto (web-identity-file mode)", () => {
  const { endpoint } = useWebIdentityEnv();
  beforeAll(() =>
    createBucketWith(
      endpoint,
      BUCKET,
      Object.fromEntries(KEYS.map((key) => [key, `body of ${key}`])),
    ),
  );

  it("lists the first page of objects", async () => {
    const data = await loadBucketDemo({ bucket: BUCKET });
    expect(data).toMatchObject({ access: "full", bucket: BUCKET, production: false });
    expect(data.bucketError).toBeUndefined();
    expect(data.objects?.objects.map((object) => object.key)).toEqual(
      KEYS.slice(0, OBJECTS_PER_PAGE),
    );
    expect(data.objects?.objects[0]).toMatchObject({ size: `body of ${KEYS[0]}`.length });
    expect(data.objects?.objects[0]?.lastModified).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(data.objects?.next).toEqual(expect.any(String));
  });

  it("follows the continuation token to the next page", async () => {
    const first = await loadBucketDemo({ bucket: BUCKET });
    const second = await loadBucketDemo({ bucket: BUCKET, after: first.objects?.next });
    expect(second.objects?.objects.map((object) => object.key)).toEqual(
      KEYS.slice(OBJECTS_PER_PAGE),
    );
    expect(second.objects?.after).toBe(first.objects?.next);
    expect(second.objects?.next).toBeUndefined();
  });

  it("explains the failure when the bucket does not exist", async () => {
    const data = await loadBucketDemo({ bucket: "no-such-bucket-here" });
    expect(data.objects).toBeUndefined();
    expect(data.bucketError).toMatchObject({ code: "bucket-missing", awsCode: "NoSuchBucket" });
    expect(data.bucketError?.fixes.join(" ")).toContain("S3_BUCKET");
  });

  it("lists nothing, and explains nothing, when S3_BUCKET is unset", async () => {
    const data = await loadBucketDemo({});
    expect(data.objects).toBeUndefined();
    expect(data.bucketError).toBeUndefined();
  });

  it("in production: off by default, and the bucket's name is never shown", async () => {
    vi.stubEnv("VERCEL_ENV", "production");
    try {
      expect(await loadBucketDemo({ bucket: BUCKET })).toEqual({
        access: "off",
        bucket: undefined,
        production: true,
      });
      vi.stubEnv("KEYLESS_PUBLIC_DEMO", "on");
      const on = await loadBucketDemo({ bucket: BUCKET });
      expect(on).toMatchObject({ access: "uploads", bucket: undefined, production: true });
      // Only uploads/ under production's prefix: the seeded keys are not listed.
      expect(on.objects?.objects).toEqual([]);
    } finally {
      vi.stubEnv("VERCEL_ENV", undefined);
      vi.stubEnv("KEYLESS_PUBLIC_DEMO", undefined);
    }
  });

  it("in production, a listing failure tells the visitor a code and a sentence, nothing of AWS's", async () => {
    vi.stubEnv("VERCEL_ENV", "production");
    vi.stubEnv("KEYLESS_PUBLIC_DEMO", "on");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const data = await loadBucketDemo({ bucket: "no-such-bucket-here" });
      expect(data.objects).toBeUndefined();
      expect(data.bucket).toBeUndefined();
      expect(data.bucketError).toEqual({
        code: "bucket-missing",
        title: expect.any(String),
        cause: "Details are in the function log.",
        fixes: [],
      });
      expect(JSON.stringify(data)).not.toMatch(/NoSuchBucket|no-such-bucket-here|\d{12}/);
    } finally {
      logged.mockRestore();
      vi.stubEnv("VERCEL_ENV", undefined);
      vi.stubEnv("KEYLESS_PUBLIC_DEMO", undefined);
    }
  });

  it("shares the page's one STS exchange", async () => {
    await loadDashboard();
    await loadBucketDemo({ bucket: BUCKET });
    expect(awsClients().credentials.stats().exchanges).toBe(1);
  });
});
