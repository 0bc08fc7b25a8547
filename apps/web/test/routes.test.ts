import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as download } from "../app/api/download/route";
import { GET as health } from "../app/api/health/route";
import { POST as upload } from "../app/api/upload/route";
import { MAX_UPLOAD_BYTES } from "../lib/upload-policy";
import { createBucketWith, TEST_ROLE_ARN, useWebIdentityEnv } from "./helpers/aws";

const BUCKET = "routes-test-bucket";
const APP = "http://localhost:3000";

const uploadRequest = (body: unknown, contentType = "application/json") =>
  new Request(`${APP}/api/upload`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("route handlers against moto", () => {
  const { endpoint } = useWebIdentityEnv({ S3_BUCKET: BUCKET });
  beforeAll(() => createBucketWith(endpoint, BUCKET, { "seed/hello.txt": "hello from the seed" }));
  afterEach(() => {
    vi.stubEnv("VERCEL_ENV", undefined);
  });

  describe("GET /api/health", () => {
    it("answers 200 with the assumed role and, outside production, the details", async () => {
      const response = await health();
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = await response.json();
      expect(body).toMatchObject({
        ok: true,
        mode: "web-identity-file",
        roleArn: TEST_ROLE_ARN,
        region: "us-east-1",
        identity: { account: "123456789012", roleArn: TEST_ROLE_ARN },
        exchanges: 1,
      });
      expect(body.credentialsExpireAt).toMatch(/^\d{4}-/);
      expect(body.error).toBeUndefined();
    });

    it("tells production only ok, mode and role", async () => {
      vi.stubEnv("VERCEL_ENV", "production");
      const response = await health();
      expect(response.status).toBe(200);
      expect(Object.keys(await response.json()).sort()).toEqual(["mode", "ok", "roleArn"]);
    });

    it("never returns the token or the session credentials", async () => {
      const text = await (await health()).text();
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      expect(text).not.toMatch(/SecretAccessKey|SessionToken|secretAccessKey|sessionToken/);
    });
  });

  describe("POST /api/upload", () => {
    it("refuses a body that is not JSON", async () => {
      const response = await upload(
        uploadRequest("filename=a.txt", "application/x-www-form-urlencoded"),
      );
      expect(response.status).toBe(415);
      expect((await response.json()).error.code).toBe("unsupported-media-type");
    });

    it("enforces the size limit and the content-type allow-list on the server", async () => {
      const response = await upload(
        uploadRequest({
          filename: "page.html",
          contentType: "text/html",
          size: MAX_UPLOAD_BYTES + 1,
        }),
      );
      expect(response.status).toBe(400);
      const { error } = await response.json();
      expect(error.code).toBe("invalid-upload");
      expect(error.fixes.join("\n")).toMatch(/contentType must be one of/);
      expect(error.fixes.join("\n")).toMatch(/size must be at most 5\.0 MB/);
    });

    it("refuses empty files and names without usable characters", async () => {
      const empty = await upload(
        uploadRequest({ filename: "a.txt", contentType: "text/plain", size: 0 }),
      );
      expect(empty.status).toBe(400);
      const nameless = await upload(
        uploadRequest({ filename: "///", contentType: "text/plain", size: 3 }),
      );
      expect(nameless.status).toBe(400);
      expect((await nameless.json()).error.cause).toMatch(/no usable characters/);
    });

    it("signs a PUT that covers type and length, which uploads the file", async () => {
      const content = "uploaded through a presigned URL\n";
      const response = await upload(
        uploadRequest({
          filename: "my notes (1).txt",
          contentType: "text/plain",
          size: content.length,
        }),
      );
      expect(response.status).toBe(200);
      const ticket = await response.json();
      expect(ticket).toMatchObject({ method: "PUT", key: "uploads/my-notes-1.txt" });
      const url = new URL(ticket.url);
      expect(url.origin).toBe(endpoint);
      expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toEqual(
        expect.arrayContaining(["content-length", "content-type", "host"]),
      );
      // A checksum of the body the server never saw would make S3 refuse the browser's PUT.
      expect([...url.searchParams.keys()].some((name) => name.startsWith("x-amz-checksum"))).toBe(
        false,
      );

      const put = await fetch(ticket.url, {
        method: "PUT",
        headers: ticket.headers,
        body: content,
      });
      expect(put.status).toBe(200);

      const redirect = await download(
        new Request(`${APP}/api/download?key=${encodeURIComponent(ticket.key)}`),
      );
      const fetched = await fetch(redirect.headers.get("location") ?? "");
      expect(await fetched.text()).toBe(content);
    });
  });

  describe("GET /api/download", () => {
    it("redirects to a presigned GET that serves the object as an attachment", async () => {
      const response = await download(new Request(`${APP}/api/download?key=seed%2Fhello.txt`));
      expect(response.status).toBe(307);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const location = new URL(response.headers.get("location") ?? "");
      expect(location.searchParams.get("X-Amz-Expires")).toBe("60");
      const object = await fetch(location);
      expect(object.status).toBe(200);
      expect(await object.text()).toBe("hello from the seed");
      // Signed into the URL, so S3 itself sends Content-Disposition: attachment.
      expect(location.searchParams.get("response-content-disposition")).toBe(
        `attachment; filename="hello.txt"; filename*=UTF-8''hello.txt`,
      );
    });

    it("answers 404 for a key that is not in the bucket", async () => {
      const response = await download(new Request(`${APP}/api/download?key=nope.txt`));
      expect(response.status).toBe(404);
      expect((await response.json()).error).toMatchObject({ code: "not-found" });
    });

    it("answers 400 without a usable key", async () => {
      expect((await download(new Request(`${APP}/api/download`))).status).toBe(400);
      expect((await download(new Request(`${APP}/api/download?key=a%00b`))).status).toBe(400);
    });
  });
});
