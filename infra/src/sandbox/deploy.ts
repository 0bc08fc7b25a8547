import { rm } from "node:fs/promises";
import { join } from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { IAMClient } from "@aws-sdk/client-iam";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type InfraConfig, type InfraEnv, loadInfraConfig } from "../config";
import { createStackAndWait, ensureVercelOidcProvider } from "../stack/deploy-template";
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

export interface SandboxStack {
  stackName: string;
  providerArn: string;
  roleArns: Partial<Record<VercelEnvironment, string>>;
  bucket: string;
}

/** The same template `cdk deploy` would deploy (cdk-nag included), synthesized in-process. */
export async function synthesizeSandboxTemplate(
  config: InfraConfig,
  workDir: string,
): Promise<object> {
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
  template: object,
  clients: ReturnType<typeof motoClients>,
): Promise<SandboxStack> {
  const providerArn = await ensureVercelOidcProvider(clients.iam, config);
  const { outputs } = await createStackAndWait(clients.cloudFormation, {
    stackName: config.stackName,
    template,
    timeoutMs: 30_000,
  });
  const output = (key: string) => {
    const value = outputs[key];
    if (!value) throw new Error(`the stack deployed into moto has no ${key} output`);
    return value;
  };
  const roleArns: SandboxStack["roleArns"] = {};
  for (const environment of config.environments) {
    roleArns[environment] = output(`RoleArn${environmentSuffix(environment)}`);
  }
  return { stackName: config.stackName, providerArn, roleArns, bucket: output("BucketName") };
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
