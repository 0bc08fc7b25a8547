import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, s3ConnectSources, securityHeaders } from "../lib/security-headers";

function directive(csp: string, name: string): string[] {
  const found = csp.split("; ").find((part) => part.startsWith(`${name} `));
  return found ? found.split(" ").slice(1) : [];
}

describe("s3ConnectSources", () => {
  it("allows exactly the emulator origin when AWS_ENDPOINT_URL points at a loopback address", () => {
    expect(s3ConnectSources({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566/" })).toEqual([
      "http://127.0.0.1:4566",
    ]);
  });

  it("prefers the S3-specific endpoint and allows virtual-hosted buckets on a named host", () => {
    expect(
      s3ConnectSources({
        AWS_ENDPOINT_URL: "http://127.0.0.1:1",
        AWS_ENDPOINT_URL_S3: "https://s3.emulator.test:8443",
      }),
    ).toEqual(["https://s3.emulator.test:8443", "https://*.s3.emulator.test:8443"]);
  });

  it("names the bucket's own regional host on AWS", () => {
    expect(s3ConnectSources({ AWS_REGION: "eu-west-1", S3_BUCKET: "keyless-demo" })).toEqual([
      "https://keyless-demo.s3.eu-west-1.amazonaws.com",
    ]);
  });

  it("falls back to the region's S3 hosts for dotted bucket names or no bucket", () => {
    const expected = ["https://*.s3.us-east-2.amazonaws.com", "https://s3.us-east-2.amazonaws.com"];
    expect(s3ConnectSources({ AWS_REGION: "us-east-2", S3_BUCKET: "my.bucket" })).toEqual(expected);
    expect(s3ConnectSources({ AWS_DEFAULT_REGION: "us-east-2" })).toEqual(expected);
  });

  it("adds nothing without a region or with a malformed endpoint", () => {
    expect(s3ConnectSources({})).toEqual([]);
    expect(s3ConnectSources({ AWS_ENDPOINT_URL: "not a url" })).toEqual([]);
    expect(s3ConnectSources({ AWS_REGION: "us-east-1; script-src *" })).toEqual([]);
  });
});

describe("contentSecurityPolicy", () => {
  it("is strict in production: no eval, no inline styles, no framing, no plugins", () => {
    const csp = contentSecurityPolicy({
      development: false,
      upgradeInsecureRequests: true,
      connectSources: ["https://b.s3.us-east-1.amazonaws.com"],
    });
    expect(directive(csp, "script-src")).not.toContain("'unsafe-eval'");
    expect(directive(csp, "style-src")).toEqual(["'self'"]);
    expect(directive(csp, "frame-ancestors")).toEqual(["'none'"]);
    expect(directive(csp, "object-src")).toEqual(["'none'"]);
    expect(directive(csp, "connect-src")).toEqual([
      "'self'",
      "https://b.s3.us-east-1.amazonaws.com",
    ]);
    expect(csp).toContain("upgrade-insecure-requests");
  });

  it("relaxes only what next dev needs", () => {
    const csp = contentSecurityPolicy({
      development: true,
      upgradeInsecureRequests: false,
      connectSources: [],
    });
    expect(directive(csp, "script-src")).toContain("'unsafe-eval'");
    expect(directive(csp, "style-src")).toContain("'unsafe-inline'");
    expect(csp).not.toContain("upgrade-insecure-requests");
  });
});

describe("securityHeaders", () => {
  it("sends the CSP and the usual hardening headers", () => {
    const headers = Object.fromEntries(
      securityHeaders({
        NODE_ENV: "production",
        AWS_REGION: "us-east-1",
        S3_BUCKET: "demo-bucket",
      }).map((header) => [header.key, header.value]),
    );
    expect(directive(headers["Content-Security-Policy"] ?? "", "connect-src")).toContain(
      "https://demo-bucket.s3.us-east-1.amazonaws.com",
    );
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("no-referrer");
    expect(headers["Permissions-Policy"]).toContain("camera=()");
    expect(headers["X-Frame-Options"]).toBe("DENY");
  });

  it("upgrades insecure requests only on Vercel", () => {
    const csp = (env: Record<string, string>) =>
      securityHeaders(env).find((header) => header.key === "Content-Security-Policy")?.value ?? "";
    expect(csp({ VERCEL: "1" })).toContain("upgrade-insecure-requests");
    expect(csp({})).not.toContain("upgrade-insecure-requests");
  });
});
