// The command line of `pnpm verify`. Kept apart from everything that loads the AWS SDK or the CDK,
// so a mistyped flag is answered at once.

import { parseCommandArgs, usageError } from "@repo/infra/cli";
import { DurationError, parseDuration } from "./duration";

export const VERIFY_HELP = `usage: pnpm verify [--since DURATION] [--wait DURATION] [--url URL] [--json] [--sandbox] [--vercel] [--github]

Checks a deployed Keyless stack with your own AWS credentials (AWS_PROFILE or the SDK's default
chain), in this order:
  1 credentials    the credentials verify runs with, and the account they reach
  2 stack          the CloudFormation stack is CREATE_COMPLETE / UPDATE_COMPLETE with its outputs
  3 oidc-provider  the IAM OIDC provider for the Vercel issuer exists and lists the audience
  4 trust-policy   each role trusts only that provider, aud and sub pinned with StringEquals,
                   and the trust evaluator decides this project's tokens as configured
  5 permissions    each role's policies name exact actions on named resources (no "*")
  6 health         with --url: GET <url>/api/health is ok and assumed one of the stack's roles
  7 vercel-project with --vercel: the Vercel project has OIDC federation on in the stack's issuer
                   mode, root directory apps/web, the app's Node.js version and
                   ENABLE_EXPERIMENTAL_COREPACK (what \`pnpm vercel:env --apply\` sets)
  8 github-oidc    with --github: the repository's GitHub OIDC sub is the one the deploy role
                   trusts (what \`pnpm github:oidc --apply\` sets)
  9 cloudtrail     a successful AssumeRoleWithWebIdentity for the roles, with the session name
                   that names the deployment (CloudTrail delivers in ~5 minutes)

options:
  --since DURATION  how far back to look in CloudTrail (default 1h; at most 90d)
  --wait DURATION   keep polling CloudTrail this long for a successful event (default 0s: look
                    once; with --url the default is 5m, for the exchange the health call caused,
                    and 0s when the health check fails)
  --url URL         the deployed app, e.g. https://my-app.vercel.app
  --json            print {"ok","checks":[{"name","ok","detail"}],"events":[…]} only
  --vercel          also check the Vercel project's settings (needs VERCEL_TOKEN; VERCEL_PROJECT_ID
                    or VERCEL_PROJECT_NAME, VERCEL_TEAM_ID or VERCEL_TEAM_SLUG from .env)
  --github          also check the GitHub deploy role's repository: its OIDC sub (needs GITHUB_TOKEN
                    and KEYLESS_GITHUB_REPOSITORY)
  --sandbox         check the running local sandbox (\`pnpm sandbox\`): its endpoint, stack and
                    placeholder credentials, the sandbox's team/project defaults (acme/web)
  -h, --help        this text

Durations: 30s, 5m, 1h, 1h30m, 2d. Configuration comes from the repo-root .env and the environment
(VERCEL_TEAM_SLUG, VERCEL_PROJECT_NAME, VERCEL_ENVIRONMENTS, VERCEL_ISSUER_MODE, AWS_REGION,
AWS_PROFILE, KEYLESS_STACK_NAME, OIDC_PROVIDER_ARN). AWS_ENDPOINT_URL sends every call to another
endpoint, such as the local sandbox.

exit codes: 0 every check passed, 1 a check failed, 2 usage or configuration error`;

/** A mistake in the command line: one line ending with the usage line, exit code 2. */
const verifyUsageError = (problem: string) => usageError(problem, VERIFY_HELP);

export interface VerifyArgs {
  sinceMs: number;
  waitMs: number;
  /** --wait was not given: the wait is the --url default, pointless when the app is down. */
  waitDefaulted: boolean;
  url?: string;
  json: boolean;
  sandbox: boolean;
  vercel: boolean;
  github: boolean;
  help: boolean;
}

export const DEFAULT_SINCE_MS = 3_600_000;
/** With --url the health call causes an exchange; CloudTrail shows it after ~5 minutes. */
export const DEFAULT_WAIT_WITH_URL_MS = 300_000;
const MAX_SINCE_MS = 90 * 86_400_000;

export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
  const { values, help } = parseCommandArgs(argv, {
    usage: VERIFY_HELP,
    options: {
      since: { type: "string" },
      wait: { type: "string" },
      url: { type: "string" },
      json: { type: "boolean" },
      sandbox: { type: "boolean" },
      vercel: { type: "boolean" },
      github: { type: "boolean" },
    },
  });
  const duration = (text: string, option: string) => {
    try {
      return parseDuration(text, option);
    } catch (error) {
      if (error instanceof DurationError) throw verifyUsageError(error.message);
      throw error;
    }
  };
  const sinceMs = values.since === undefined ? DEFAULT_SINCE_MS : duration(values.since, "--since");
  if (sinceMs <= 0 || sinceMs > MAX_SINCE_MS) {
    throw verifyUsageError(
      `--since ${values.since} must be more than 0 and at most 90d (CloudTrail keeps 90 days)`,
    );
  }
  let url: string | undefined;
  if (values.url !== undefined) {
    let protocol = "";
    try {
      protocol = new URL(values.url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== "http:" && protocol !== "https:") {
      throw verifyUsageError(
        `--url "${values.url}" is not an http(s) URL; give the deployment's address, e.g. https://my-app.vercel.app`,
      );
    }
    url = values.url;
  }
  const waitMs =
    values.wait === undefined
      ? url
        ? DEFAULT_WAIT_WITH_URL_MS
        : 0
      : duration(values.wait, "--wait");
  return {
    sinceMs,
    waitMs,
    waitDefaulted: values.wait === undefined,
    url,
    json: values.json ?? false,
    sandbox: values.sandbox ?? false,
    vercel: values.vercel ?? false,
    github: values.github ?? false,
    help,
  };
}
