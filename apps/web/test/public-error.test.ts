import { resolveCredentialMode } from "@repo/aws-auth/mode";
import { describe, expect, it } from "vitest";
import { briefError, toPublicError } from "../lib/public-error";

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
      "fixes",
      "title",
    ]);
    expect(briefError(explained)).toEqual({ code: "bucket-missing", title: explained.title });
  });
});
