// A Vercel role's session credentials from the sandbox's own STS, as the app gets them: a token
// minted for the environment, exchanged at the gateway.

import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { SandboxHandle } from "../../src/index";

export async function roleCredentials(sandbox: SandboxHandle, environment: string) {
  const sts = new STSClient({ region: sandbox.region, endpoint: sandbox.endpoint, maxAttempts: 1 });
  try {
    const { Credentials: issued } = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: sandbox.roleArns[environment],
        RoleSessionName: `vercel-${environment}-test`,
        WebIdentityToken: await sandbox.mintToken({ environment }),
      }),
    );
    return {
      accessKeyId: issued?.AccessKeyId ?? "",
      secretAccessKey: issued?.SecretAccessKey ?? "",
      sessionToken: issued?.SessionToken ?? "",
    };
  } finally {
    sts.destroy();
  }
}
