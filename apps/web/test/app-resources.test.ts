// The helpers for routes on the app's own resources: a variable that is unset is explained with
// where its value comes from, and an AWS refusal is explained (in full off production, as a code
// and a sentence to production's visitors).

import { describe, expect, it, vi } from "vitest";
import {
  AppResourceNotConfigured,
  appResourceName,
  awsFailureResponse,
} from "../lib/app-resources";

const onSandbox = {
  AWS_REGION: "us-east-1",
  AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/web-preview",
  AWS_WEB_IDENTITY_TOKEN_FILE: "/tmp/token",
};

/** An AccessDeniedException as the DynamoDB client throws it. */
function accessDenied(): Error {
  const error = new Error(
    "User: arn:aws:sts::123456789012:assumed-role/web-preview/s is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/notes because no identity-based policy allows the dynamodb:GetItem action",
  );
  error.name = "AccessDeniedException";
  Object.assign(error, { $metadata: { httpStatusCode: 400 } });
  return error;
}

describe("appResourceName", () => {
  it("reads the variable, trimmed, and refuses an unset or blank one", () => {
    expect(appResourceName("NOTES_TABLE", { NOTES_TABLE: " web-notes-1 " })).toBe("web-notes-1");
    expect(() => appResourceName("NOTES_TABLE", {})).toThrow(AppResourceNotConfigured);
    expect(() => appResourceName("NOTES_TABLE", { NOTES_TABLE: " " })).toThrow(
      "NOTES_TABLE is not set",
    );
  });
});

describe("awsFailureResponse", () => {
  it("an unset variable: 503, what it names and both ways to set it", async () => {
    const response = awsFailureResponse(new AppResourceNotConfigured("NOTES_TABLE"), onSandbox);
    expect(response.status).toBe(503);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { error } = await response.json();
    expect(error.code).toBe("resource-not-configured");
    expect(error.fixes.join(" ")).toMatch(/pnpm vercel:env --apply.*pnpm sandbox/);
  });

  it("an AWS refusal is explained off production, and only named to production's visitors", async () => {
    const preview = await awsFailureResponse(accessDenied(), onSandbox).json();
    expect(preview.error.awsCode).toBe("AccessDeniedException");
    expect(JSON.stringify(preview)).toContain("dynamodb:GetItem");

    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const production = await awsFailureResponse(accessDenied(), {
      ...onSandbox,
      VERCEL_ENV: "production",
    }).json();
    expect(production.error).toEqual({
      code: preview.error.code,
      title: expect.any(String),
      cause: "Details are in the function log.",
      fixes: [],
    });
    expect(JSON.stringify(production)).not.toContain("123456789012");
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
  });
});
