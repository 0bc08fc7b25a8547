import { describe, expect, it } from "vitest";
import { describeCallerArn } from "../lib/identity";

describe("describeCallerArn", () => {
  it("splits an assumed-role ARN into role and session", () => {
    expect(
      describeCallerArn(
        "arn:aws:sts::123456789012:assumed-role/keyless-web-production/vercel-keyless-production-1",
        "123456789012",
      ),
    ).toEqual({
      account: "123456789012",
      arn: "arn:aws:sts::123456789012:assumed-role/keyless-web-production/vercel-keyless-production-1",
      roleArn: "arn:aws:iam::123456789012:role/keyless-web-production",
      roleName: "keyless-web-production",
      sessionName: "vercel-keyless-production-1",
    });
  });

  it("keeps the partition of GovCloud and China ARNs", () => {
    expect(
      describeCallerArn("arn:aws-us-gov:sts::123456789012:assumed-role/r/s", "123456789012")
        .roleArn,
    ).toBe("arn:aws-us-gov:iam::123456789012:role/r");
  });

  it("names IAM users (with a path) and the root account", () => {
    expect(
      describeCallerArn("arn:aws:iam::123456789012:user/dev/alice", "123456789012").principalName,
    ).toBe("alice");
    expect(describeCallerArn("arn:aws:iam::123456789012:root", "123456789012").principalName).toBe(
      "root",
    );
  });

  it("passes through ARNs it does not recognise", () => {
    expect(
      describeCallerArn("arn:aws:sts::123456789012:federated-user/bob", "123456789012"),
    ).toEqual({
      account: "123456789012",
      arn: "arn:aws:sts::123456789012:federated-user/bob",
    });
  });
});
