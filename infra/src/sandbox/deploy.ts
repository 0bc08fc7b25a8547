import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { CreateOpenIDConnectProviderCommand, IAMClient } from "@aws-sdk/client-iam";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type InfraConfig, type InfraEnv, loadInfraConfig } from "../config";
import { environmentSuffix } from "../stack/keyless-stack";
import { synthesizeKeylessTemplate } from "../stack/synth";
import type { VercelEnvironment } from "../stack/vercel-oidc";
import { oidcProviderArn } from "../trust/evaluate";

/** moto's default account: every ARN in the sandbox lives here. */
export const SANDBOX_ACCOUNT = "123456789012";

/** The sample Vercel team and project the sandbox stands for when the user configured none. */
export const SANDBOX_DEFAULTS = {
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
} as const;

/**
 * The user's infra configuration with the sandbox's own twists: sample team/project/region where
 * unset, and always the existing-provider path (moto skips AWS::IAM::OIDCProvider in templates,
 * so the sandbox creates the provider through IAM first).
 */
export function sandboxInfraConfig(env: InfraEnv): InfraConfig {
  const pick = (name: keyof typeof SANDBOX_DEFAULTS) =>
    env[name]?.trim() ? env[name] : SANDBOX_DEFAULTS[name];
  const config = loadInfraConfig({
    ...env,
    VERCEL_TEAM_SLUG: pick("VERCEL_TEAM_SLUG"),
    VERCEL_PROJECT_NAME: pick("VERCEL_PROJECT_NAME"),
    AWS_REGION: pick("AWS_REGION"),
    // A real account's provider or profile means nothing inside moto.
    OIDC_PROVIDER_ARN: undefined,
    AWS_PROFILE: undefined,
  });
  return {
    ...config,
    profile: undefined,
    existingProviderArn: oidcProviderArn(config.issuerUrl, SANDBOX_ACCOUNT),
  };
}

/** Clients for moto itself (not through the gateway): the sandbox's own admin access. */
export function motoClients(motoEndpoint: string, region: string) {
  const config = {
    region,
    endpoint: motoEndpoint,
    // moto checks no signature; these are placeholders, not keys.
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  };
  return {
    iam: new IAMClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    cloudFormation: new CloudFormationClient(config),
  };
}

export interface DeployedStack {
  stackName: string;
  providerArn: string;
  roleArns: Partial<Record<VercelEnvironment, string>>;
  bucket: string;
}

/** The same template `cdk deploy` would deploy (cdk-nag included), synthesized in-process. */
export async function synthesizeSandboxTemplate(
  config: InfraConfig,
  workDir: string,
): Promise<unknown> {
  const outdir = join(workDir, "cdk.out");
  try {
    return synthesizeKeylessTemplate(config, outdir);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Creates the provider through IAM (moto skips it in templates), then the stack. */
export async function deployStack(
  config: InfraConfig,
  template: unknown,
  clients: ReturnType<typeof motoClients>,
): Promise<DeployedStack> {
  const providerArn = config.existingProviderArn as string;
  await clients.iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: config.issuerUrl,
      ClientIDList: [config.audience],
    }),
  );
  // CreateStack, not a change set: moto drops the Outputs of stacks made through change sets.
  await clients.cloudFormation.send(
    new CreateStackCommand({
      StackName: config.stackName,
      TemplateBody: JSON.stringify(template),
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }),
  );
  const stack = await waitForStack(clients.cloudFormation, config.stackName);
  const output = (key: string) =>
    stack.Outputs?.find((candidate) => candidate.OutputKey === key)?.OutputValue;
  const roleArns: DeployedStack["roleArns"] = {};
  for (const environment of config.environments) {
    const arn = output(`RoleArn${environmentSuffix(environment)}`);
    if (!arn)
      throw new Error(`the deployed stack has no RoleArn${environmentSuffix(environment)} output`);
    roleArns[environment] = arn;
  }
  const bucket = output("BucketName");
  if (!bucket) throw new Error("the deployed stack has no BucketName output");
  return { stackName: config.stackName, providerArn, roleArns, bucket };
}

async function waitForStack(client: CloudFormationClient, stackName: string): Promise<Stack> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    const status = stack?.StackStatus ?? "";
    if (stack && status === "CREATE_COMPLETE") return stack;
    if (/FAILED|ROLLBACK/.test(status)) {
      throw new Error(
        `deploying the stack into moto failed: ${status} ${stack?.StackStatusReason ?? ""}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`the stack is still ${status} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A 1×1 PNG: enough for "a small binary object" in listings and downloads. */
const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

export const SAMPLE_OBJECTS: readonly {
  key: string;
  body: Buffer | string;
  contentType: string;
}[] = [
  {
    key: "welcome.txt",
    body: "Hello from the Keyless sandbox. This object was read with credentials from an OIDC token.\n",
    contentType: "text/plain; charset=utf-8",
  },
  {
    key: "data/sample.json",
    body: `${JSON.stringify({ source: "keyless-sandbox", items: [1, 2, 3] }, null, 2)}\n`,
    contentType: "application/json",
  },
  { key: "images/pixel.png", body: PIXEL_PNG, contentType: "image/png" },
];

export async function seedBucket(s3: S3Client, bucket: string): Promise<void> {
  await Promise.all(
    SAMPLE_OBJECTS.map((object) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: object.key,
          Body: object.body,
          ContentType: object.contentType,
        }),
      ),
    ),
  );
}
