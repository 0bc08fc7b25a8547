import "server-only";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";

export interface CallerIdentity {
  account: string;
  /** The caller ARN exactly as STS returned it. */
  arn: string;
  /** For an assumed role: the IAM role ARN (without its path, which STS does not return). */
  roleArn?: string;
  roleName?: string;
  /** For an assumed role: the session name, which CloudTrail records for every call. */
  sessionName?: string;
  /** For an IAM user or the root account. */
  principalName?: string;
}

// arn:<partition>:sts::<account>:assumed-role/<role-name>/<session-name>
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
// arn:<partition>:iam::<account>:user/<path/><name> or :root
const IAM_PRINCIPAL = /^arn:(aws[a-z-]*):iam::(\d{12}):(?:user\/(?:.*\/)?([^/]+)|(root))$/;

/** Reads what an ARN from GetCallerIdentity says about the caller. */
export function describeCallerArn(arn: string, account: string): CallerIdentity {
  const role = ASSUMED_ROLE.exec(arn);
  if (role) {
    const [, partition, roleAccount, roleName, sessionName] = role as unknown as string[];
    return {
      account,
      arn,
      roleArn: `arn:${partition}:iam::${roleAccount}:role/${roleName}`,
      roleName,
      sessionName,
    };
  }
  const principal = IAM_PRINCIPAL.exec(arn);
  if (principal) return { account, arn, principalName: principal[3] ?? principal[4] };
  return { account, arn };
}

export async function getCallerIdentity(sts: STSClient): Promise<CallerIdentity> {
  const answer = await sts.send(new GetCallerIdentityCommand({}));
  return describeCallerArn(answer.Arn ?? "", answer.Account ?? "");
}
