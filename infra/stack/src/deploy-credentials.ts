// Before `pnpm infra:deploy | diff | destroy` hands over to the aws-cdk CLI: do the credentials
// it will use work at all? Without this the CDK's own answer is "Unable to resolve AWS account
// to use", which names neither the profile nor the fix. One STS call (GetCallerIdentity needs no
// permission), bounded in time.

import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

export interface CredentialTarget {
  region: string;
  /** The profile the CDK CLI will use (AWS_PROFILE, or the account's in KEYLESS_ACCOUNTS). */
  profile?: string;
  /** AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS, when an emulator stands in for AWS. */
  endpoint?: string;
}

/** Which account the credentials belong to, or the one line that says why there are none. */
export async function checkDeployCredentials(
  target: CredentialTarget,
): Promise<{ ok: true; account: string } | { ok: false; line: string }> {
  const client = new STSClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    credentials: fromNodeProviderChain(target.profile ? { profile: target.profile } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
  });
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    return { ok: true, account: identity.Account ?? "" };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    const source = target.profile
      ? `profile "${target.profile}"`
      : "the default credential chain (no AWS_PROFILE)";
    const fix = target.profile
      ? `sign in with \`aws sso login --profile ${target.profile}\` (or fix the profile in ~/.aws/config)`
      : "set AWS_PROFILE in .env to the profile that may deploy (`pnpm configure` asks for it), then sign in with `aws sso login --profile <name>`";
    return {
      ok: false,
      line: `No working AWS credentials from ${source}: ${reason}. Fix: ${fix}, and run the command again. Nothing was deployed.`,
    };
  } finally {
    client.destroy();
  }
}
