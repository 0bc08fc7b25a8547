// Config → app → template, the one path every consumer (cdk, trust:check, sandbox, tests) takes,
// so what is checked is what is deployed.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "aws-cdk-lib";
import { APP_RESOURCES, type AppResource } from "./app-resources";
import type { InfraConfig } from "./config";
import { createKeylessApp, type KeylessStack } from "./keyless-stack";

/** A CloudFormation template as JSON (the parts Keyless reads). */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  [section: string]: unknown;
}

export function createKeylessAppFromConfig(
  config: InfraConfig,
  outdir?: string,
  /** @default the ones src/app-resources.ts declares */
  appResources: readonly AppResource[] = APP_RESOURCES,
): { app: App; stack: KeylessStack } {
  return createKeylessApp(
    {
      teamSlug: config.teamSlug,
      projectName: config.projectName,
      environments: config.environments,
      issuerMode: config.issuerMode,
      // Only a custom audience is passed on: the team's is the default.
      audience: config.audience === config.teamAudience ? undefined : config.audience,
      existingProviderArn: config.existingProviderArn,
      teamId: config.teamId,
      projectId: config.projectId,
      productionDomains: config.productionDomains,
      github: config.github,
      appResources,
    },
    { stackName: config.stackName, region: config.region, account: config.account, outdir },
  );
}

/**
 * Synthesizes in-process (cdk-nag included: a violation throws) and returns the template. Without
 * `outdir` the cloud assembly goes to a temporary directory that is removed afterwards (CDK's own
 * default leaves one behind in /tmp per synth).
 */
export function synthesizeKeylessTemplate(config: InfraConfig, outdir?: string): CfnTemplate {
  const dir = outdir ?? mkdtempSync(join(tmpdir(), "keyless-synth-"));
  try {
    const { app, stack } = createKeylessAppFromConfig(config, dir);
    return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  } finally {
    if (!outdir) rmSync(dir, { recursive: true, force: true });
  }
}
