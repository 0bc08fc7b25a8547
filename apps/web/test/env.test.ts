import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidEnvironmentError, parseServerEnv } from "../lib/env";
import { stubEnv } from "./helpers/aws";

describe("parseServerEnv", () => {
  beforeEach(() => stubEnv({}));
  afterEach(() => vi.unstubAllEnvs());

  it("accepts an empty configuration (mode none is explained on the page)", () => {
    expect(parseServerEnv().S3_BUCKET).toBeUndefined();
  });

  it("accepts a complete configuration", () => {
    vi.stubEnv("AWS_REGION", "eu-central-1");
    vi.stubEnv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/keyless-web-production");
    vi.stubEnv("S3_BUCKET", "keyless-demo-bucket");
    const env = parseServerEnv();
    expect(env.S3_BUCKET).toBe("keyless-demo-bucket");
    expect(env.AWS_REGION).toBe("eu-central-1");
  });

  it("names every bad variable and how to fix it", () => {
    vi.stubEnv("AWS_REGION", "N. Virginia");
    vi.stubEnv("S3_BUCKET", "My_Bucket");
    vi.stubEnv("AWS_ROLE_ARN", "keyless-role");
    let message = "";
    try {
      parseServerEnv();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/- AWS_REGION: .*us-east-1/);
    expect(message).toMatch(/- S3_BUCKET: .*got "My_Bucket".*BucketName/);
    expect(message).toMatch(/- AWS_ROLE_ARN: .*stack outputs/);
    expect(message).toContain("repository-root .env");
    expect(message).not.toMatch(/\n\s+at /);
  });

  it("treats empty strings as unset", () => {
    vi.stubEnv("S3_BUCKET", "");
    expect(parseServerEnv().S3_BUCKET).toBeUndefined();
  });

  it("skips validation only with SKIP_ENV_VALIDATION=1", () => {
    vi.stubEnv("S3_BUCKET", "Not A Bucket");
    vi.stubEnv("SKIP_ENV_VALIDATION", "1");
    expect(parseServerEnv().S3_BUCKET).toBe("Not A Bucket");
  });
});
