// The deployed stack as vercel:env reads it: its id and outputs (DescribeStacks) and its resources
// (DescribeStackResources), from which stack-values.ts takes the role ARNs and the bucket.

import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from "@aws-sdk/client-cloudformation";
import { CommandFailure } from "@repo/infra/cli";
import { environmentSuffix, type VercelEnvironment } from "@repo/infra/vercel-naming";
import { readStackResources } from "../stack-resources";
import type { StackResource } from "../stack-values";

// Output names of KeylessStack (src/stack/keyless-stack.ts). Spelled out here so this CLI does not
// load aws-cdk-lib; test/vercel-env-outputs.test.ts checks them against the synthesized template.
export const stackOutputKey = {
  roleArn: (environment: VercelEnvironment) => `RoleArn${environmentSuffix(environment)}`,
  bucket: "BucketName",
  region: "Region",
} as const;

export class StackOutputsError extends CommandFailure {
  override readonly name = "StackOutputsError";
}

export interface DeployedStack {
  readonly stackId: string;
  /** OutputKey → OutputValue. */
  readonly outputs: Record<string, string>;
  readonly resources: StackResource[];
}

/** `stackName` as deployed; throws a StackOutputsError that says what to do. */
export async function readDeployedStack(
  cloudFormation: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<DeployedStack> {
  let described: DescribeStacksCommandOutput;
  try {
    described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/does not exist/i.test(message)) {
      throw new StackOutputsError(
        `Stack ${stackName} does not exist in ${region}. Deploy it first (pnpm infra:deploy), or pass the values as flags (--role-arn-<environment>, --bucket).`,
      );
    }
    throw new StackOutputsError(
      `Could not read the outputs of stack ${stackName} in ${region}: ${message}. Set AWS_PROFILE in .env to a profile that can call cloudformation:DescribeStacks, or pass the values as flags.`,
    );
  }
  const stack = described.Stacks?.[0];
  const outputs: Record<string, string> = {};
  for (const output of stack?.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined) {
      outputs[output.OutputKey] = output.OutputValue;
    }
  }
  let resources: StackResource[];
  try {
    resources = await readStackResources(cloudFormation, stackName);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StackOutputsError(
      `Could not read the resources of stack ${stackName} in ${region}: ${message}. The role, the bucket and the app's resources are taken from the stack's resources and template, not its outputs: use a profile that can call cloudformation:DescribeStackResources and cloudformation:GetTemplate, or pass the values as flags.`,
    );
  }
  return { stackId: stack?.StackId ?? "", outputs, resources };
}
