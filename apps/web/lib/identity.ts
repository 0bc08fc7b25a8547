import "server-only";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { STS_CHECK_INTERVAL_MS } from "./limits";

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

interface Remembered {
  accessKeyId: string;
  at: number;
  answer: Promise<CallerIdentity>;
  failed: boolean;
}

// One entry per STS client (the process has one; tests build their own).
const remembered = new WeakMap<STSClient, Remembered>();

/**
 * GetCallerIdentity, remembered per instance. For the same credentials the answer cannot change,
 * so the page asks once per credential set (a refresh brings a new access key id, and a new
 * question); /api/health passes `maxAgeMs` to ask again at most that often. A failure is reused
 * for STS_CHECK_INTERVAL_MS, so a broken configuration is not a lever for unlimited STS calls.
 */
export async function rememberedCallerIdentity(
  clients: { sts: STSClient; credentials: () => Promise<{ accessKeyId: string }> },
  options: { maxAgeMs?: number; now?: number } = {},
): Promise<CallerIdentity> {
  const now = options.now ?? Date.now();
  // The process's credentials, from the shared provider's cache (no STS call while they last).
  const { accessKeyId } = await clients.credentials();
  const previous = remembered.get(clients.sts);
  const maxAge = previous?.failed ? STS_CHECK_INTERVAL_MS : (options.maxAgeMs ?? Infinity);
  if (previous && previous.accessKeyId === accessKeyId && now - previous.at < maxAge) {
    return previous.answer;
  }
  const entry: Remembered = {
    accessKeyId,
    at: now,
    answer: getCallerIdentity(clients.sts),
    failed: false,
  };
  entry.answer.catch(() => {
    entry.failed = true;
  });
  remembered.set(clients.sts, entry);
  return entry.answer;
}
