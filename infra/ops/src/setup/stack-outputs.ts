// The deployed stack's outputs (DescribeStacks): the role ARN per environment, the bucket and the
// region — exactly the values the Vercel project needs.

import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from "@aws-sdk/client-cloudformation";
import { CommandFailure } from "@repo/infra/cli";
import { environmentSuffix, type VercelEnvironment } from "@repo/infra/vercel-naming";

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

/** OutputKey → OutputValue of `stackName`; throws a StackOutputsError that says what to do. */
export async function readStackOutputs(
  cloudFormation: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<Record<string, string>> {
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
  return outputs;
}
