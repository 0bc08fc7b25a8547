// The demo's upload route with no AWS configured: it names the missing bucket before it needs
// AWS. A file of its own: the app validates its environment once per process.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { POST as upload } from "../../app/api/upload/route";
import { forgetAwsState, stubEnv } from "../helpers/aws";

describe("with no AWS configured (mode none)", () => {
  beforeEach(() => stubEnv({}));
  afterEach(() => {
    forgetAwsState();
    vi.unstubAllEnvs();
  });

  it("upload explains that S3_BUCKET is missing before it needs AWS", async () => {
    const response = await upload(
      new Request("http://localhost:3000/api/upload", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ filename: "a.txt", contentType: "text/plain", size: 1 }),
      }),
    );
    expect(response.status).toBe(503);
    expect((await response.json()).error.code).toBe("bucket-not-configured");
  });
});
