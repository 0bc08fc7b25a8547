// What a deployed Keyless stack's trust and names follow from, as `name → value` lines: the one
// thing `pnpm infra:deploy --sandbox` and the running sandbox compare. The sandbox deploys its
// stack from the .env it started with (moto takes no `cdk deploy`); when the .env has changed
// since, these lines say what differs. Pure, and free of aws-cdk-lib.
import type { InfraConfig } from "./config";

export type DeploymentFacts = Record<string, string>;

export function deploymentFacts(config: InfraConfig): DeploymentFacts {
  return {
    KEYLESS_STACK_NAME: config.stackName,
    AWS_REGION: config.region,
    VERCEL_TEAM_SLUG: config.teamSlug,
    VERCEL_PROJECT_NAME: config.projectName,
    VERCEL_ENVIRONMENTS: config.environments.join(","),
    VERCEL_ISSUER_MODE: config.issuerMode,
    VERCEL_OIDC_AUDIENCE: config.audience,
    KEYLESS_GITHUB_REPOSITORY: config.github?.repository ?? "",
  };
}

/** The names whose values differ, as `NAME: sandbox → .env` lines (empty when none). */
export function factDifferences(sandbox: DeploymentFacts, wanted: DeploymentFacts): string[] {
  return Object.keys({ ...sandbox, ...wanted })
    .filter((name) => sandbox[name] !== wanted[name])
    .map((name) => `${name}: ${sandbox[name] || "(unset)"} → ${wanted[name] || "(unset)"}`);
}
