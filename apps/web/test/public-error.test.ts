import { resolveCredentialMode } from "@repo/aws-auth/mode";
import { describe, expect, it, vi } from "vitest";
import { DETAILS_IN_LOG, forVisitors, toPublicError } from "../lib/public-error";

const resolution = resolveCredentialMode({});

describe("toPublicError", () => {
  it("keeps an explanation thrown by another bundle's copy of @repo/aws-auth", () => {
    // What `instanceof ExplainedAwsError` cannot recognise across Next's per-route bundles: an
    // instance of another copy of the class, carrying the package's global brand.
    const foreign = Object.assign(new Error("Not authorized"), {
      name: "ExplainedAwsError",
      [Symbol.for("keyless.aws-auth.ExplainedAwsError")]: true,
      explained: {
        code: "trust-denied",
        title: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        cause: "The role's trust policy does not accept this token.",
        fixes: ["Use the role made for this environment."],
        awsCode: "AccessDenied",
        token: { sub: "owner:acme:project:web:environment:preview", alg: "RS256", expired: false },
      },
    });
    expect(toPublicError(foreign, resolution)).toEqual({
      code: "trust-denied",
      title: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      cause: "The role's trust policy does not accept this token.",
      fixes: ["Use the role made for this environment."],
      awsCode: "AccessDenied",
      token: { sub: "owner:acme:project:web:environment:preview", expired: false },
      // The section of @repo/aws-auth's README that explains the code.
      docs: expect.stringMatching(/\/packages\/aws-auth\/README\.md#trust-denied$/),
    });
  });

  it("explains raw SDK errors and keeps only the fields chosen for display", () => {
    const error = Object.assign(new Error("The specified bucket does not exist"), {
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
    const explained = toPublicError(error, resolution);
    expect(explained).toMatchObject({ code: "bucket-missing", awsCode: "NoSuchBucket" });
    expect(Object.keys(explained).sort()).toEqual([
      "awsCode",
      "cause",
      "code",
      "detail",
      "docs",
      "fixes",
      "title",
    ]);
    expect(forVisitors(explained, false)).toBe(explained);
  });

  it("tells production visitors a code and a sentence, and logs the rest", () => {
    const error = Object.assign(
      new Error(
        "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: s3:GetObject",
      ),
      { name: "AccessDenied", $metadata: { httpStatusCode: 403 } },
    );
    const explained = toPublicError(error, resolution);
    const logged: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => {
      logged.push(line);
    });
    const shown = forVisitors(explained, true);
    spy.mockRestore();
    expect(shown).toEqual({
      code: explained.code,
      title: explained.title,
      cause: DETAILS_IN_LOG,
      fixes: [],
    });
    expect(JSON.stringify(shown)).not.toMatch(/\d{12}|arn:aws:/);
    expect(logged.join("\n")).toMatch(/123456789012/);
  });
});
