// A deployed stack's resources (DescribeStackResources), and which of them are the app's own
// (app-resources.ts): the stack writes that in each one's template Metadata, read here with
// GetTemplate and joined by logical id. vercel:env and verify read the stack through here;
// stack-values.ts decides what of it to trust.

import {
  type CloudFormationClient,
  DescribeStackResourcesCommand,
  GetTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import { type AppResourceMetadata, appResourceMetadataOf } from "@repo/infra/app-resource-naming";
import type { StackResource } from "./stack-values";

/** The stack's resources (DescribeStackResources), the app's own marked from its template. */
export async function readStackResources(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<StackResource[]> {
  const { StackResources = [] } = await cloudFormation.send(
    new DescribeStackResourcesCommand({ StackName: stackName }),
  );
  const metadata = await readAppResourceMetadata(cloudFormation, stackName);
  return StackResources.map((resource) => {
    const logicalId = resource.LogicalResourceId ?? "";
    const appResource = metadata.get(logicalId);
    return {
      logicalId,
      physicalId: resource.PhysicalResourceId ?? "",
      type: resource.ResourceType ?? "",
      ...(appResource ? { appResource } : {}),
    };
  });
}

/** logical id → app resource metadata. Throws when the template is not the stack's JSON. */
export async function readAppResourceMetadata(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<Map<string, AppResourceMetadata>> {
  const { TemplateBody: body } = await cloudFormation.send(
    new GetTemplateCommand({ StackName: stackName, TemplateStage: "Original" }),
  );
  return appResourcesOfTemplate(body ?? "");
}

/** The same, from a template's text (CDK deploys JSON; anything else was not deployed by it). */
export function appResourcesOfTemplate(body: string): Map<string, AppResourceMetadata> {
  let template: { Resources?: Record<string, { Metadata?: Record<string, unknown> }> };
  try {
    template = JSON.parse(body) as typeof template;
  } catch {
    throw new Error(
      "its template is not JSON, so it was not deployed from this repository's CDK app (pnpm infra:deploy writes JSON)",
    );
  }
  const found = new Map<string, AppResourceMetadata>();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const metadata = appResourceMetadataOf(resource);
    if (metadata) found.set(logicalId, metadata);
  }
  return found;
}
