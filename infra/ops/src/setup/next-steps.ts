// What to do after `pnpm configure`: the set-up steps in order, each with its exact command.

import type { InfraConfig } from "@repo/infra/config";
import { isStandardEnvironment } from "@repo/infra/vercel-naming";
import { stackOutputKey } from "./stack-outputs";
import { OLD_VERCEL_VARIABLES } from "./vercel-env-plan";

/** How Vercel's dashboard names an environment: built-in ones capitalised, custom ones as named. */
const vercelEnvLabel = (environment: string): string =>
  isStandardEnvironment(environment)
    ? environment.charAt(0).toUpperCase() + environment.slice(1)
    : `custom environment ${environment}`;

export function formatTrustSummary(config: InfraConfig): string {
  return [
    `Issuer   ${config.issuerUrl} (${config.issuerMode} mode)`,
    `Audience ${config.audience}`,
    ...config.environments.map(
      (environment) =>
        `Role for ${environment.padEnd(11)} trusts sub = ${config.subjects[environment]}`,
    ),
  ].join("\n");
}

export function formatNextSteps(config: InfraConfig): string {
  const credentials = config.profile
    ? `with AWS_PROFILE=${config.profile} from .env`
    : "with your default AWS credentials (or set AWS_PROFILE in .env)";
  const everywhere = config.environments.map((e) => vercelEnvLabel(e)).join(", ");
  const byHand = [
    `AWS_REGION   = ${config.region}   (${everywhere})`,
    ...config.environments.map(
      (environment) =>
        `AWS_ROLE_ARN = stack output ${stackOutputKey.roleArn(environment)}   (${vercelEnvLabel(environment)} only)`,
    ),
    `S3_BUCKET    = stack output ${stackOutputKey.bucket}   (${everywhere})`,
    `ENABLE_EXPERIMENTAL_COREPACK = 1   (${everywhere})`,
    // The app exchanges its token for this audience; the roles accept no other.
    ...(config.audience === config.teamAudience
      ? []
      : [`VERCEL_OIDC_AUDIENCE = ${config.audience}   (${everywhere})`]),
  ];
  return [
    "1. Check the trust, then deploy the stack once (no `cdk bootstrap` needed):",
    "     pnpm trust:check",
    `     pnpm infra:deploy        # stack ${config.stackName} in ${config.region}, ${credentials}`,
    "2. Configure the Vercel project — with a token (Vercel → Account Settings → Tokens):",
    "     export VERCEL_TOKEN=…    # never written to .env by setup",
    "     pnpm vercel:env          # dry run: prints the plan",
    `     pnpm vercel:env --apply  # the variables below, OIDC federation (${config.issuerMode} issuer), root directory, Node.js; removes ${OLD_VERCEL_VARIABLES.join(", ")}`,
    "   or by hand in Vercel → your project → Settings → Environment Variables (and Security, Build and Deployment):",
    ...byHand.map((line) => `     ${line}`),
    "3. Redeploy (variables apply to new deployments only): `vercel deploy --prod`, or Deployments → Redeploy.",
    "4. Verify from here: pnpm verify --vercel --url https://<your-deployment>.vercel.app",
    "",
    "Rehearse it all offline first, no AWS or Vercel account needed: docs/setup.md#rehearse-it-locally-first",
  ].join("\n");
}
