import { beforeAll, describe, expect, it } from "vitest";
import { awsClients } from "../lib/aws";
import { loadDashboard } from "../lib/dashboard";
import { OBJECTS_PER_PAGE } from "../lib/objects";
import { createBucketWith, TEST_REGION, TEST_ROLE_ARN, useWebIdentityEnv } from "./helpers/aws";

const BUCKET = "dashboard-test-bucket";
const KEYS = Array.from(
  { length: OBJECTS_PER_PAGE + 5 },
  (_, i) => `seed/object-${String(i).padStart(2, "0")}.txt`,
);

describe("loadDashboard against moto (web-identity-file mode)", () => {
  const { endpoint } = useWebIdentityEnv();
  beforeAll(() =>
    createBucketWith(
      endpoint,
      BUCKET,
      Object.fromEntries(KEYS.map((key) => [key, `body of ${key}`])),
    ),
  );

  it("shows the mode, why, the assumed identity and the first page of objects", async () => {
    const data = await loadDashboard({ bucket: BUCKET });
    expect(data.error).toBeUndefined();
    expect(data.credentials.mode).toBe("web-identity-file");
    expect(data.credentials.because.join(" ")).toContain("AWS_WEB_IDENTITY_TOKEN_FILE");
    expect(data.credentials.region).toBe(TEST_REGION);
    expect(data.identity).toMatchObject({
      account: "123456789012",
      roleArn: TEST_ROLE_ARN,
      roleName: "keyless-web-production",
      sessionName: data.credentials.sessionName,
    });
    expect(data.objects?.objects.map((object) => object.key)).toEqual(
      KEYS.slice(0, OBJECTS_PER_PAGE),
    );
    expect(data.objects?.objects[0]).toMatchObject({ size: `body of ${KEYS[0]}`.length });
    expect(data.objects?.objects[0]?.lastModified).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(data.objects?.next).toEqual(expect.any(String));
    expect(data.setup).toBeUndefined();
  });

  it("follows the continuation token to the next page", async () => {
    const first = await loadDashboard({ bucket: BUCKET });
    const second = await loadDashboard({ bucket: BUCKET, after: first.objects?.next });
    expect(second.objects?.objects.map((object) => object.key)).toEqual(
      KEYS.slice(OBJECTS_PER_PAGE),
    );
    expect(second.objects?.after).toBe(first.objects?.next);
    expect(second.objects?.next).toBeUndefined();
  });

  it("keeps the identity and explains the failure when the bucket does not exist", async () => {
    const data = await loadDashboard({ bucket: "no-such-bucket-here" });
    expect(data.identity?.roleArn).toBe(TEST_ROLE_ARN);
    expect(data.objects).toBeUndefined();
    expect(data.bucketError).toMatchObject({ code: "bucket-missing", awsCode: "NoSuchBucket" });
    expect(data.bucketError?.fixes.join(" ")).toContain("S3_BUCKET");
  });

  it("shows the identity without a bucket section's data when S3_BUCKET is unset", async () => {
    const data = await loadDashboard({});
    expect(data.identity?.account).toBe("123456789012");
    expect(data.objects).toBeUndefined();
    expect(data.bucketError).toBeUndefined();
  });

  it("made one STS exchange for every page load above", () => {
    expect(awsClients().credentials.stats().exchanges).toBe(1);
  });
});
