import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import type { SigningCredentials } from "./sigv4";

/** The IAM user the sandbox signs its own calls with once moto checks every request. */
export const SANDBOX_ADMIN_USER = "keyless-sandbox-admin";

/** moto's request header naming the account a call acts in (moto keeps one backend per account). */
const MOTO_ACCOUNT_HEADER = "x-moto-account-id";

/**
 * An admin user (inline `*` policy) and its key. `account`: made in that moto account instead of
 * the client's (moto takes the account from this header while it checks no signature); moto then
 * puts every call signed with the key in that account, as AWS does with a user's key.
 */
async function createAdminUser(iam: IAMClient, account?: string): Promise<SigningCredentials> {
  if (account) {
    iam.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[MOTO_ACCOUNT_HEADER] = account;
        return next(args);
      },
      { step: "build", name: "motoAccountHeader" },
    );
  }
  await iam.send(new CreateUserCommand({ UserName: SANDBOX_ADMIN_USER }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: SANDBOX_ADMIN_USER,
      PolicyName: "sandbox-admin",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
      }),
    }),
  );
  const { AccessKey: key } = await iam.send(
    new CreateAccessKeyCommand({ UserName: SANDBOX_ADMIN_USER }),
  );
  if (!key?.AccessKeyId || !key.SecretAccessKey) {
    throw new Error(
      `moto created no access key for the sandbox admin user${account ? ` of account ${account}` : ""}`,
    );
  }
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

/**
 * Admin users in more moto accounts (each with its own IAM, CloudFormation, S3), made before IAM
 * enforcement is switched on: afterwards a call reaches an account only with a key of that account.
 */
export async function createAccountAdmins(
  motoEndpoint: string,
  region: string,
  accounts: readonly string[],
  ownAccount: string,
): Promise<Map<string, SigningCredentials>> {
  const admins = new Map<string, SigningCredentials>();
  for (const account of accounts) {
    if (!/^\d{12}$/.test(account) || account === ownAccount || admins.has(account)) {
      throw new Error(
        `extraAccounts: "${account}" is not a 12-digit account id other than the sandbox's own (${ownAccount}) and the others given`,
      );
    }
    const iam = new IAMClient({
      region,
      endpoint: motoEndpoint,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    try {
      admins.set(account, await createAdminUser(iam, account));
    } finally {
      iam.destroy();
    }
  }
  return admins;
}

/**
 * Turns moto's IAM enforcement on (its `/moto-api/reset-auth` with 0 free requests): from then on
 * every request must be signed by a key moto knows and is allowed by that principal's policies —
 * the roles' credentials get exactly what their policies grant. Made before the switch: an admin
 * user (inline `*` policy) whose key the sandbox keeps in memory for its own calls.
 */
export async function enforceIam(
  motoEndpoint: string,
  iam: IAMClient,
): Promise<SigningCredentials> {
  const admin = await createAdminUser(iam);
  const response = await fetch(`${motoEndpoint}/moto-api/reset-auth`, {
    method: "POST",
    body: "0",
  });
  if (!response.ok)
    throw new Error(`moto refused to turn IAM enforcement on (HTTP ${response.status})`);
  return admin;
}
