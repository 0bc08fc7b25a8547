// Deploys a synthesized template with plain CloudFormation calls — what the local sandbox and the
// tests do against moto, where `cdk deploy` cannot help: moto skips AWS::IAM::OIDCProvider (so the
// provider is made through IAM first) and loses Outputs of stacks made through change sets (so
// this uses CreateStack).

import {
  type CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import {
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  type IAMClient,
  ListOpenIDConnectProvidersCommand,
} from "@aws-sdk/client-iam";
import type { VercelIssuer } from "@repo/infra/vercel-naming";

/** The provider for `issuer` in the client's account: found if it exists, else created. */
export async function ensureVercelOidcProvider(
  iam: IAMClient,
  issuer: Pick<VercelIssuer, "issuerUrl" | "issuerHostPath" | "audience">,
): Promise<string> {
  const { OpenIDConnectProviderList = [] } = await iam.send(
    new ListOpenIDConnectProvidersCommand({}),
  );
  for (const { Arn } of OpenIDConnectProviderList) {
    if (!Arn) continue;
    const provider = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: Arn }),
    );
    const url = (provider.Url ?? "").replace(/^https:\/\//, "");
    if (url === issuer.issuerHostPath) return Arn;
  }
  const created = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: issuer.issuerUrl,
      ClientIDList: [issuer.audience],
    }),
  );
  if (!created.OpenIDConnectProviderArn) {
    throw new Error(`IAM created no ARN for the OIDC provider ${issuer.issuerUrl}`);
  }
  return created.OpenIDConnectProviderArn;
}

export interface DeployedStack {
  readonly stackId: string;
  /** OutputKey → OutputValue. */
  readonly outputs: Readonly<Record<string, string>>;
}

export class StackDeployError extends Error {
  override readonly name = "StackDeployError";
}

/** CreateStack, then waits for CREATE_COMPLETE; a failure names the resources that failed. */
export async function createStackAndWait(
  cfn: CloudFormationClient,
  options: { stackName: string; template: object; timeoutMs?: number; pollMs?: number },
): Promise<DeployedStack> {
  const { stackName, timeoutMs = 120_000, pollMs = 250 } = options;
  const created = await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify(options.template),
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }),
  );
  const stackId = created.StackId ?? stackName;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
    const stack: Stack | undefined = Stacks[0];
    const status = stack?.StackStatus ?? "UNKNOWN";
    if (status === "CREATE_COMPLETE" && stack) {
      const outputs: Record<string, string> = {};
      for (const output of stack.Outputs ?? []) {
        if (output.OutputKey) outputs[output.OutputKey] = output.OutputValue ?? "";
      }
      return { stackId, outputs };
    }
    if (!status.endsWith("_IN_PROGRESS")) {
      throw new StackDeployError(
        `Stack ${stackName} ended in ${status}: ${await failureReasons(cfn, stackId)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new StackDeployError(`Stack ${stackName} still ${status} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function failureReasons(cfn: CloudFormationClient, stackId: string): Promise<string> {
  const { StackEvents = [] } = await cfn.send(
    new DescribeStackEventsCommand({ StackName: stackId }),
  );
  const failed = StackEvents.filter((e) => e.ResourceStatus?.endsWith("_FAILED")).map(
    (e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason ?? e.ResourceStatus}`,
  );
  return failed.length > 0 ? failed.join("; ") : "no failure events recorded";
}
