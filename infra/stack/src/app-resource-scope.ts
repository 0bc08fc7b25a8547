// Where app resources (app-resources.ts) sit in the stack's policies: the ARN pattern that covers
// every environment's resource of one declaration, for the app boundary and the deploy role, and
// cdk-nag's acknowledgement of that pattern.

import { Aws, Stack, Validations } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { appResourceNamePrefix, formatAppResourceArn } from "./app-resource-naming";
import type { AppResource } from "./app-resources";

/**
 * Every resource a declaration makes, in every environment: the names CloudFormation generates
 * (`<stack>-<id><Environment>-<random>`) all start `<stack>-<id>`.
 */
export function appResourceScope(
  stack: Stack,
  declaration: Pick<AppResource, "id" | "arnFormat">,
): string {
  return formatAppResourceArn(
    declaration.arnFormat,
    { partition: Aws.PARTITION, region: stack.region, account: Aws.ACCOUNT_ID },
    `${appResourceNamePrefix(stack.stackName, declaration.id)}*`,
  );
}

/** cdk-nag's AwsSolutions-IAM5 for the app resources' name prefixes on `scope`'s statements. */
export function acknowledgeAppResourceScopes(
  scope: Construct,
  appResources: readonly Pick<AppResource, "id" | "arnFormat">[],
): void {
  const stack = Stack.of(scope);
  for (const declaration of appResources) {
    const resource = formatAppResourceArn(
      declaration.arnFormat,
      { partition: "<AWS::Partition>", region: stack.region, account: "<AWS::AccountId>" },
      `${appResourceNamePrefix(stack.stackName, declaration.id)}*`,
    );
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason: `Every environment's ${declaration.id} of this stack: CloudFormation names them <stack>-${declaration.id}<Environment>-<random>, so the name prefix is the narrowest ARN; each Vercel role's own policy names its environment's one only.`,
    });
  }
}
