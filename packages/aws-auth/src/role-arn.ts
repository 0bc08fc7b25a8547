// Parses an IAM role ARN and names the part that is wrong, so a typo in AWS_ROLE_ARN is reported
// as "the account id must be 12 digits" rather than a generic STS validation error.

export interface RoleArn {
  partition: string;
  accountId: string;
  path: string;
  roleName: string;
}

export type RoleArnResult = { ok: true; arn: RoleArn } | { ok: false; problem: string };

const PARTITIONS = new Set(["aws", "aws-cn", "aws-us-gov"]);
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export function parseRoleArn(value: string): RoleArnResult {
  const trimmed = value.trim();
  if (trimmed !== value) {
    return { ok: false, problem: "it has leading or trailing white space" };
  }
  const parts = value.split(":");
  if (parts.length !== 6) {
    return {
      ok: false,
      problem: `it has ${parts.length} colon-separated parts; a role ARN has 6 (arn:aws:iam::<account-id>:role/<name>)`,
    };
  }
  const [prefix, partition = "", service, region, accountId = "", resource = ""] = parts;
  if (prefix !== "arn")
    return { ok: false, problem: `it must start with "arn:", not "${prefix}:"` };
  if (!PARTITIONS.has(partition)) {
    return {
      ok: false,
      problem: `the partition "${partition}" is not one of aws, aws-cn, aws-us-gov`,
    };
  }
  if (service !== "iam") {
    return { ok: false, problem: `the service is "${service}"; a role ARN's service is "iam"` };
  }
  if (region !== "") {
    return {
      ok: false,
      problem: `IAM ARNs have no region, but this one has "${region}" (expected arn:${partition}:iam::…)`,
    };
  }
  if (!/^\d{12}$/.test(accountId)) {
    return { ok: false, problem: `the account id "${accountId}" must be exactly 12 digits` };
  }
  if (!resource.startsWith("role/")) {
    return {
      ok: false,
      problem: `the resource "${resource}" must start with "role/" (is this a user or policy ARN?)`,
    };
  }
  const pathAndName = resource.slice("role/".length);
  const slash = pathAndName.lastIndexOf("/");
  const roleName = pathAndName.slice(slash + 1);
  const path = slash >= 0 ? `/${pathAndName.slice(0, slash + 1)}` : "/";
  if (!ROLE_NAME.test(roleName)) {
    return {
      ok: false,
      problem: `the role name "${roleName}" must be 1–64 characters of letters, digits and +=,.@_-`,
    };
  }
  return { ok: true, arn: { partition, accountId, path, roleName } };
}
