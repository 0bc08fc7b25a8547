import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  IAMClient,
} from "@aws-sdk/client-iam";

/** Creates, in moto's IAM, the provider for team `acme`'s issuer and a role it may assume; the
 * role's ARN. moto checks no trust, so the policy only has to be well formed. */
export async function createVercelRole(endpoint: string, roleName: string): Promise<string> {
  const iam = new IAMClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const provider = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: "https://oidc.vercel.com/acme",
      ClientIDList: ["https://vercel.com/acme"],
    }),
  );
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: provider.OpenIDConnectProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
          },
        ],
      }),
    }),
  );
  return role.Role?.Arn as string;
}
