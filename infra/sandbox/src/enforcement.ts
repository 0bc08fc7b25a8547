import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  type IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import type { SigningCredentials } from "./sigv4";

/** The IAM user the sandbox signs its own calls with once moto checks every request. */
export const SANDBOX_ADMIN_USER = "keyless-sandbox-admin";

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
    throw new Error("moto created no access key for the sandbox admin user");
  }
  const response = await fetch(`${motoEndpoint}/moto-api/reset-auth`, {
    method: "POST",
    body: "0",
  });
  if (!response.ok)
    throw new Error(`moto refused to turn IAM enforcement on (HTTP ${response.status})`);
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}
