// What someone who sees an unconfigured app should do next — two different people. On a Vercel
// deployment it is the project's owner, who just pressed the Deploy button: the steps happen in a
// clone of their repository and end with a redeploy (variables reach a deployment when it is
// built; a reload never picks them up). On a laptop it is a developer choosing how to reach AWS.
// The page and /api/health read the same steps.

export interface SetupStep {
  title: string;
  text: string;
  commands: string[];
}

export const DEPLOYMENT_SETUP_STEPS: SetupStep[] = [
  {
    title: "Clone your repository",
    text: "The one Vercel created from the template (its Git settings name it).",
    commands: ["git clone <your repository>", "cd <repository>", "pnpm install"],
  },
  {
    title: "Name this Vercel project",
    text: "Team slug, project name and AWS region, written to the repository-root .env: the stack's trust is pinned to them.",
    commands: ["pnpm configure"],
  },
  {
    title: "Deploy the stack to your AWS account",
    text: "The OIDC provider, one role per Vercel environment and the bucket. Uses AWS_PROFILE from .env.",
    commands: ["pnpm infra:deploy"],
  },
  {
    title: "Configure this Vercel project",
    text: "Sets AWS_ROLE_ARN, AWS_REGION and S3_BUCKET from the stack, and the project settings Keyless needs: OIDC federation on, root directory, Node.js version, the pinned pnpm (needs VERCEL_TOKEN).",
    commands: ["pnpm vercel:env --apply"],
  },
  {
    title: "Redeploy",
    text: "New variables apply to new deployments only: redeploy (Vercel → Deployments → Redeploy, or push a commit), then check it end to end.",
    commands: ["vercel deploy --prod", "pnpm verify --vercel --url https://<this deployment>"],
  },
];

export const LOCAL_SETUP_STEPS: SetupStep[] = [
  {
    title: "Try it against the local sandbox",
    text: 'Stop this server and start it with nothing configured: a local AWS emulator with the same stack and OIDC trust, and this app wired to it. Needs moto (`pipx install "moto[server]"`).',
    commands: ["pnpm dev"],
  },
  {
    title: "Use your AWS account from this machine",
    text: "Name a profile from ~/.aws/config (SSO, assume-role and credential_process all work) in the repository-root .env, with the region and bucket from the stack outputs, then restart pnpm dev.",
    commands: ["AWS_PROFILE=my-profile", "AWS_REGION=us-east-1", "S3_BUCKET=my-bucket"],
  },
  {
    title: "Set up your accounts and Vercel",
    text: "The stack in your AWS account and its outputs on the Vercel project, in order.",
    commands: ["pnpm configure", "pnpm infra:deploy", "pnpm vercel:env --apply"],
  },
];

/** The steps for whoever sees this app: the deployment's owner on Vercel, else the developer. */
export function setupStepsFor(onVercel: boolean): SetupStep[] {
  return onVercel ? DEPLOYMENT_SETUP_STEPS : LOCAL_SETUP_STEPS;
}

/** The title both the page and /api/health give an app with no AWS configured. */
export function notConfiguredTitle(onVercel: boolean): string {
  return onVercel
    ? "This deployment is not connected to AWS yet"
    : "No AWS credentials are configured";
}
