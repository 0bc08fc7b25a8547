import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import { IAMClient } from "@aws-sdk/client-iam";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { appResourceMetadataOf } from "@repo/infra/app-resource-naming";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST_PATH,
  GITHUB_OIDC_ISSUER,
} from "@repo/infra/github-naming";
import type { VercelEnvironment } from "@repo/infra/vercel-naming";
// Runtime imports stay free of aws-cdk-lib: synthesis happens in a child process (synthesis.ts)
// so the long-running sandbox process never holds the CDK's few hundred MB.
import { createStackAndWait, ensureVercelOidcProvider } from "./deploy-template";
import type { SynthesizedSandbox } from "./synthesis";

/** moto's default account: every ARN in the sandbox lives here. */
export const SANDBOX_ACCOUNT = "123456789012";

/** Clients for moto itself (not through the gateway): the sandbox's own admin access. */
export function motoClients(
  motoEndpoint: string,
  region: string,
  /** The admin key once moto enforces IAM; before that moto checks no signature. */
  credentials = { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
) {
  const config = { region, endpoint: motoEndpoint, credentials };
  return {
    iam: new IAMClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    cloudFormation: new CloudFormationClient(config),
  };
}

/** Where the stack landed in moto. */
export interface SandboxStack {
  stackName: string;
  providerArn: string;
  roleArns: Partial<Record<VercelEnvironment, string>>;
  bucket: string;
  /** The GitHub Actions deploy role, when configured. */
  githubDeployRoleArn?: string;
  /** Each environment's app resources (app-resources.ts): variable → its resource's name. */
  appVariables: Partial<Record<VercelEnvironment, Record<string, string>>>;
}

/** Creates the provider through IAM (moto skips it in templates), then the stack. */
export async function deployStack(
  synthesized: SynthesizedSandbox,
  clients: ReturnType<typeof motoClients>,
): Promise<SandboxStack> {
  const { config, template, outputKeys } = synthesized;
  const providerArn = await ensureVercelOidcProvider(clients.iam, config);
  // GitHub's provider too, by the same path (moto skips AWS::IAM::OIDCProvider in templates).
  if (config.github) {
    await ensureVercelOidcProvider(clients.iam, {
      issuerUrl: GITHUB_OIDC_ISSUER,
      issuerHostPath: GITHUB_OIDC_HOST_PATH,
      audience: GITHUB_OIDC_AUDIENCE,
    });
  }
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
  for (const [environment, key] of Object.entries(outputKeys.roles)) {
    roleArns[environment as VercelEnvironment] = output(key);
  }
  return {
    stackName: config.stackName,
    providerArn,
    roleArns,
    bucket: output(outputKeys.bucket),
    githubDeployRoleArn: outputKeys.githubDeployRole && output(outputKeys.githubDeployRole),
    appVariables: await appVariablesOf(synthesized, clients.cloudFormation),
  };
}

/** The app resources the template marks, each named by what moto made of it. */
async function appVariablesOf(
  { config, template }: SynthesizedSandbox,
  cloudFormation: CloudFormationClient,
): Promise<SandboxStack["appVariables"]> {
  const resources = (template as { Resources?: Record<string, object> }).Resources ?? {};
  const declared = Object.entries(resources).flatMap(([logicalId, resource]) => {
    const metadata = appResourceMetadataOf(resource as { Metadata?: Record<string, unknown> });
    return metadata ? [{ logicalId, ...metadata }] : [];
  });
  if (declared.length === 0) return {};
  const { StackResources = [] } = await cloudFormation.send(
    new DescribeStackResourcesCommand({ StackName: config.stackName }),
  );
  const variables: SandboxStack["appVariables"] = {};
  for (const { logicalId, environment, variable } of declared) {
    const name = StackResources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
    if (!name) throw new Error(`the stack deployed into moto has no ${logicalId}`);
    variables[environment] = { ...variables[environment], [variable]: name };
  }
  return variables;
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

/** The samples under each environment's prefix (`production/welcome.txt`, …): its own data. */
export async function seedBucket(
  s3: S3Client,
  bucket: string,
  environments: readonly string[] = ["production"],
): Promise<void> {
  await Promise.all(
    environments.flatMap((environment) =>
      SAMPLE_OBJECTS.map((object) =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${environment}/${object.key}`,
            Body: object.body,
            ContentType: object.contentType,
          }),
        ),
      ),
    ),
  );
}
