import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { resolveCredentialMode } from "@repo/aws-auth/mode";
import { createCredentialProvider } from "@repo/aws-auth/provider";
import { afterEach, describe, expect, it, vi } from "vitest";
import { demoScope, mayServeKey } from "../../lib/demo/access";
import { presign, presignLifetime } from "../../lib/demo/presign";
import { InvalidEnvironmentError, parseServerEnv } from "../../lib/env";
import { stubEnv } from "../helpers/aws";

describe("demoScope: what visitors may do with the bucket", () => {
  it("keeps the full demo on the environment's own prefix in preview and development", () => {
    expect(demoScope({ VERCEL: "1", VERCEL_ENV: "preview" })).toEqual({
      access: "full",
      keyPrefix: "preview/",
      dataPrefix: "preview/",
    });
    expect(demoScope({ S3_PREFIX: "development/" }).keyPrefix).toBe("development/");
    expect(demoScope({}).access).toBe("full");
  });

  it("off Vercel with no S3_PREFIX (a profile), stays in development/: never production's data", () => {
    const profile = demoScope({ AWS_PROFILE: "dev-admin" });
    expect(profile).toEqual({
      access: "full",
      keyPrefix: "development/",
      dataPrefix: "development/",
    });
    expect(mayServeKey(profile, "development/notes.txt")).toBe(true);
    expect(mayServeKey(profile, "production/data/sample.json")).toBe(false);
    expect(mayServeKey(profile, "secret.txt")).toBe(false);
  });

  it("turns production off unless KEYLESS_PUBLIC_DEMO is exactly on", () => {
    const production = { VERCEL: "1", VERCEL_ENV: "production" };
    expect(demoScope(production).access).toBe("off");
    expect(demoScope({ ...production, KEYLESS_PUBLIC_DEMO: "off" }).access).toBe("off");
    expect(demoScope({ ...production, KEYLESS_PUBLIC_DEMO: "yes" }).access).toBe("off");
    expect(demoScope({ ...production, KEYLESS_PUBLIC_DEMO: "on" })).toEqual({
      access: "uploads",
      keyPrefix: "production/uploads/",
      dataPrefix: "production/",
    });
  });

  it("serves only keys under the scope's prefix, never with dot segments", () => {
    const scope = demoScope({ VERCEL_ENV: "production", KEYLESS_PUBLIC_DEMO: "on" });
    expect(mayServeKey(scope, "production/uploads/1/a.txt")).toBe(true);
    expect(mayServeKey(scope, "production/data/sample.json")).toBe(false);
    expect(mayServeKey(scope, "preview/uploads/1/a.txt")).toBe(false);
    expect(mayServeKey(scope, "production/uploads/../data/sample.json")).toBe(false);
    expect(mayServeKey(demoScope({ VERCEL_ENV: "production" }), "production/uploads/a")).toBe(
      false,
    );
  });
});

describe("presignLifetime", () => {
  const now = Date.parse("2026-11-25T12:00:00Z");
  it("never lets a URL outlive the credentials that sign it", () => {
    expect(presignLifetime(300, new Date(now + 3600_000), now)).toBe(300);
    expect(presignLifetime(300, new Date(now + 42_500), now)).toBe(42);
    expect(presignLifetime(300, new Date(now - 1000), now)).toBeLessThan(1);
    expect(presignLifetime(300, undefined, now)).toBe(300);
  });

  it("ends a URL where the provider stops serving its credentials, a margin before expiry", async () => {
    const clock = { t: 0 };
    const provider = createCredentialProvider(
      resolveCredentialMode({
        VERCEL: "1",
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessProduction",
        AWS_REGION: "us-east-1",
      }),
      {
        now: () => clock.t,
        random: () => 0.5,
        fetchCredentials: async () => ({
          accessKeyId: "ASIAPRESIGNTEST00001",
          secretAccessKey: "not-a-secret",
          sessionToken: "not-a-token",
          expiration: new Date(clock.t + 3_600_000),
        }),
      },
    );
    await provider();
    const servedUntil = provider.stats().servedUntil?.getTime() ?? 0;
    // The one-minute serving margin: a URL signed now would otherwise live to the last second.
    expect(servedUntil).toBe(3_600_000 - 60_000);
    const s3 = new S3Client({ region: "us-east-1", credentials: provider });
    clock.t = servedUntil - 90_000; // refreshing in the background, still served
    const { url, expiresIn } = await presign(
      { s3, credentials: provider },
      new GetObjectCommand({ Bucket: "b", Key: "development/a.txt" }),
      300,
      {},
      () => clock.t,
    );
    expect(expiresIn).toBe(90);
    expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe("90");
    s3.destroy();
  });
});

describe("KEYLESS_PUBLIC_DEMO in the environment schema", () => {
  afterEach(() => vi.unstubAllEnvs());
  it("refuses anything but on and off, naming what on exposes", () => {
    stubEnv({});
    vi.stubEnv("KEYLESS_PUBLIC_DEMO", "true");
    expect(() => parseServerEnv()).toThrow(InvalidEnvironmentError);
    expect(() => parseServerEnv()).toThrow(/KEYLESS_PUBLIC_DEMO must be "on" or "off".*upload/s);
    vi.stubEnv("KEYLESS_PUBLIC_DEMO", "on");
    expect(parseServerEnv().KEYLESS_PUBLIC_DEMO).toBe("on");
  });
});
