// The bucket demo's routes against moto: POST /api/upload signs a PUT, GET /api/download
// redirects to a signed GET, both only inside this deployment's own keys, and off in production
// unless KEYLESS_PUBLIC_DEMO=on. The demo's own: it goes with it.

import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as download } from "../../app/api/download/route";
import { POST as upload } from "../../app/api/upload/route";
import type { AwsClients } from "../../lib/aws";
import { handleDownloadRequest } from "../../lib/demo/download";
import { MAX_UPLOAD_BYTES } from "../../lib/demo/upload-policy";
import { createBucketWith, useWebIdentityEnv } from "../helpers/aws";

const BUCKET = "routes-test-bucket";
const APP = "http://localhost:3000";

const uploadRequest = (body: unknown, contentType = "application/json") =>
  new Request(`${APP}/api/upload`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("the demo's routes against moto", () => {
  const { endpoint } = useWebIdentityEnv({ S3_BUCKET: BUCKET });
  beforeAll(() => createBucketWith(endpoint, BUCKET, { "seed/hello.txt": "hello from the seed" }));
  afterEach(() => {
    vi.stubEnv("VERCEL_ENV", undefined);
    vi.stubEnv("KEYLESS_PUBLIC_DEMO", undefined);
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
      expect(ticket).toMatchObject({ method: "PUT" });
      // A fresh random folder per upload: no visitor can replace another's object.
      expect(ticket.key).toMatch(/^uploads\/[0-9a-f-]{36}\/my-notes-1\.txt$/);
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

  describe("production (VERCEL_ENV=production)", () => {
    const production = (demo?: string) => {
      vi.stubEnv("VERCEL_ENV", "production");
      if (demo) vi.stubEnv("KEYLESS_PUBLIC_DEMO", demo);
    };
    const notes = { filename: "notes.txt", contentType: "text/plain", size: 5 };

    it("refuses upload and download while the demo is off (the default)", async () => {
      production();
      const put = await upload(uploadRequest(notes));
      expect(put.status).toBe(403);
      expect((await put.json()).error.code).toBe("demo-off");
      const get = await download(new Request(`${APP}/api/download?key=seed%2Fhello.txt`));
      expect(get.status).toBe(403);
    });

    it("with KEYLESS_PUBLIC_DEMO=on serves only uploads/ of production's own prefix", async () => {
      production("on");
      const outside = await download(new Request(`${APP}/api/download?key=seed%2Fhello.txt`));
      expect(outside.status).toBe(403);
      expect((await outside.json()).error.code).toBe("key-not-allowed");
      const dotted = await download(
        new Request(`${APP}/api/download?key=${encodeURIComponent("production/uploads/../x")}`),
      );
      expect(dotted.status).toBe(403);

      const signed = await upload(uploadRequest(notes));
      expect(signed.status).toBe(200);
      const ticket = await signed.json();
      expect(ticket.key).toMatch(/^production\/uploads\/[0-9a-f-]{36}\/notes\.txt$/);
      const again = await (await upload(uploadRequest(notes))).json();
      expect(again.key).not.toBe(ticket.key);
      expect(
        (await fetch(ticket.url, { method: "PUT", headers: ticket.headers, body: "hello" })).status,
      ).toBe(200);
      const fetched = await download(
        new Request(`${APP}/api/download?key=${encodeURIComponent(ticket.key)}`),
      );
      expect(fetched.status).toBe(307);
    });

    it("answers AWS failures with a code, a sentence and the function log, nothing more", async () => {
      production("on");
      const logged = vi.spyOn(console, "error").mockImplementation(() => {});
      // What S3 answers a role without permission: its message names the account and the role.
      const denied = Object.assign(
        new Error(
          `User: arn:aws:sts::123456789012:assumed-role/keyless-web-production/s is not authorized to perform: s3:GetObject`,
        ),
        { name: "AccessDenied", $metadata: { httpStatusCode: 403 } },
      );
      const response = await handleDownloadRequest(
        new Request(`${APP}/api/download?key=production%2Fuploads%2Fx`),
        {
          bucket: BUCKET,
          clients: () =>
            ({
              s3: { send: () => Promise.reject(denied) },
              credentials: async () => ({ accessKeyId: "a", secretAccessKey: "b" }),
            }) as unknown as AwsClients,
        },
      );
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(text).not.toMatch(/\d{12}|arn:aws:|not authorized/);
      const { error } = JSON.parse(text);
      expect(error).toEqual({
        code: "permission-denied",
        title: expect.any(String),
        cause: "Details are in the function log.",
        fixes: [],
      });
      expect(logged.mock.calls.flat().join(" ")).toMatch(/AccessDenied/);
      logged.mockRestore();
    });
  });
});
