// The role ARNs, the bucket and the app's own resources a deployed stack gives the Vercel project,
// taken from the stack's
// own resources (DescribeStackResources), never from its Outputs alone: an Output is text any
// deploy run can rewrite without an IAM permission, so trusting it would let a run point the
// owner's next `vercel:env --apply` (or verify) at a role and bucket in another account. A
// resource's physical id is what CloudFormation made: a role name in the stack's own account, a
// bucket name; each must carry the stack's generated name prefix, and every Output must agree.
// Which resources are the app's own comes from the template's Metadata (also text a run can
// rewrite): only its environment and variable are taken from there, and an ARN format that would
// name more than one resource is refused.
// Pure: vercel:env and verify read the facts, this decides.

import {
  type AppResourceMetadata,
  appResourceLogicalId,
  appResourceNameOf,
  appResourceNamePrefix,
  arnFormatProblem,
  formatAppResourceArn,
} from "@repo/infra/app-resource-naming";
import {
  APP_BUCKET_LOGICAL_IDS,
  VERCEL_ROLE_LOGICAL_ID_PREFIX,
  vercelRoleLogicalId,
} from "@repo/infra/github-naming";
import { VERCEL_ENVIRONMENTS, type VercelEnvironment } from "@repo/infra/vercel-naming";

export interface StackResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  /** From the stack's template (GetTemplate): set on the app's own resources (app-resources.ts). */
  readonly appResource?: AppResourceMetadata;
}

/** One environment's app resource, as deployed. */
export interface DeployedAppResource {
  readonly id: string;
  readonly environment: VercelEnvironment;
  readonly variable: string;
  readonly logicalId: string;
  /** What the app's variable is set to (a table's name). */
  readonly physicalId: string;
  readonly arn: string;
}

export interface StackValuesInput {
  readonly stackName: string;
  /** arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>, from DescribeStacks. */
  readonly stackId: string;
  /** The configured environments: each must have its role. */
  readonly environments: readonly VercelEnvironment[];
  readonly resources: readonly StackResource[];
  readonly outputs: Readonly<Record<string, string>>;
}

export interface StackValues {
  /** The stack's account, where its roles are. */
  readonly account?: string;
  /** Every Vercel role of the stack (built-in environments whether configured or not). */
  readonly roleArns: Partial<Record<VercelEnvironment, string>>;
  readonly bucket?: string;
  /** The app's own resources (app-resources.ts), each environment's. */
  readonly appResources: DeployedAppResource[];
  /** Why these values cannot be trusted; empty when they can. */
  readonly problems: string[];
}

const STACK_ARN = /^arn:(aws|aws-cn|aws-us-gov):cloudformation:([a-z0-9-]+):(\d{12}):stack\//;
// CDK names the app bucket AppBucket plus an 8-hex-digit hash; AppBucketAccessLogs… is its log bucket.
const APP_BUCKET = new RegExp(`^${APP_BUCKET_LOGICAL_IDS[0]}[0-9A-F]{8}$`);
const outputKey = (environment: VercelEnvironment) =>
  `RoleArn${vercelRoleLogicalId(environment).slice(VERCEL_ROLE_LOGICAL_ID_PREFIX.length)}`;

export function trustedStackValues(input: StackValuesInput): StackValues {
  const problems: string[] = [];
  const stack = STACK_ARN.exec(input.stackId);
  if (!stack) {
    return {
      roleArns: {},
      appResources: [],
      problems: [`stack ${input.stackName} has no readable stack id (${input.stackId || "none"})`],
    };
  }
  const [, partition = "aws", region = "", account = ""] = stack;
  const fix = `Fix: run \`pnpm infra:deploy\` as an administrator from this repository's configuration, and find who changed the stack (CloudTrail: UpdateStack, ExecuteChangeSet).`;
  const rolePrefix = `${input.stackName}-${VERCEL_ROLE_LOGICAL_ID_PREFIX}`;
  const roleArns: Partial<Record<VercelEnvironment, string>> = {};
  for (const environment of new Set([...VERCEL_ENVIRONMENTS, ...input.environments])) {
    const logicalId = vercelRoleLogicalId(environment);
    const resource = input.resources.find(
      (r) => r.logicalId === logicalId && r.type === "AWS::IAM::Role",
    );
    if (!resource) {
      if (input.environments.includes(environment)) {
        problems.push(
          `the stack has no role ${logicalId} for ${environment}: deploy this configuration (\`pnpm infra:deploy\`)`,
        );
      }
      continue;
    }
    if (!resource.physicalId.startsWith(rolePrefix)) {
      problems.push(
        `role ${logicalId} is named ${resource.physicalId}, not the name CloudFormation generates (${rolePrefix}…). ${fix}`,
      );
      continue;
    }
    roleArns[environment] = `arn:${partition}:iam::${account}:role/${resource.physicalId}`;
  }
  const buckets = input.resources.filter(
    (r) => APP_BUCKET.test(r.logicalId) && r.type === "AWS::S3::Bucket",
  );
  const bucketPrefix = `${input.stackName.toLowerCase()}-appbucket`;
  const bucket = buckets[0]?.physicalId;
  if (buckets.length !== 1 || !bucket) {
    problems.push(
      `the stack has ${buckets.length} app buckets (${APP_BUCKET_LOGICAL_IDS[0]}…), not one: deploy this configuration (\`pnpm infra:deploy\`)`,
    );
  } else if (!bucket.startsWith(bucketPrefix)) {
    problems.push(
      `bucket ${buckets[0]?.logicalId} is named ${bucket}, not the name CloudFormation generates (${bucketPrefix}…). ${fix}`,
    );
  }
  // Every Output that names a role or the bucket must say what the resources say.
  for (const [environment, arn] of Object.entries(roleArns) as [VercelEnvironment, string][]) {
    const key = outputKey(environment);
    const said = input.outputs[key];
    if (said !== undefined && said !== arn) {
      problems.push(
        `output ${key} names ${said}, but the stack's own role ${vercelRoleLogicalId(environment)} is ${arn}; an output is only text a deploy run can change, so it is not used. ${fix}`,
      );
    }
  }
  const saidBucket = input.outputs.BucketName;
  if (bucket && saidBucket !== undefined && saidBucket !== bucket) {
    problems.push(
      `output BucketName names ${saidBucket}, but the stack's own bucket is ${bucket}; an output is only text a deploy run can change, so it is not used. ${fix}`,
    );
  }
  const appResources: DeployedAppResource[] = [];
  for (const resource of input.resources) {
    const declared = resource.appResource;
    if (!declared) continue;
    const logicalId = appResourceLogicalId(declared.id, declared.environment);
    const namePrefix = appResourceNamePrefix(input.stackName, logicalId);
    const formatProblem = arnFormatProblem(declared.arnFormat);
    if (formatProblem) {
      problems.push(
        `app resource ${resource.logicalId}'s template Metadata has ${formatProblem}; Metadata is text a deploy run can change, so it is not used. ${fix}`,
      );
      continue;
    }
    const name = appResourceNameOf(resource.physicalId);
    if (resource.logicalId !== logicalId || !name.startsWith(namePrefix)) {
      problems.push(
        `app resource ${resource.logicalId} (${declared.id} of ${declared.environment}) is named ${resource.physicalId || "nothing"}, not the name CloudFormation generates for ${logicalId} (${namePrefix}…). ${fix}`,
      );
      continue;
    }
    appResources.push({
      ...declared,
      logicalId,
      physicalId: resource.physicalId,
      arn: formatAppResourceArn(
        declared.arnFormat,
        { partition, region, account },
        resource.physicalId,
      ),
    });
  }
  return { account, roleArns, ...(bucket ? { bucket } : {}), appResources, problems };
}

/** environment → its app resources' variables and values, for the Vercel project. */
export function appVariablesOf(
  appResources: readonly DeployedAppResource[],
): Partial<Record<VercelEnvironment, Record<string, string>>> {
  const variables: Partial<Record<VercelEnvironment, Record<string, string>>> = {};
  for (const resource of appResources) {
    variables[resource.environment] = {
      ...variables[resource.environment],
      [resource.variable]: resource.physicalId,
    };
  }
  return variables;
}
