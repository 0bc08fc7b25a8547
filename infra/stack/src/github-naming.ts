// The GitHub Actions OIDC naming rules, pure (no aws-cdk-lib): the issuer, the audience
// aws-actions/configure-aws-credentials asks for, the `sub` a workflow run's token carries, and
// the checks on what users configure. The deploy role's trust is built from these
// (github-oidc.ts); the configuration, trust:check and the sandbox read them without the CDK.
//
// `sub` forms (GitHub docs, "OpenID Connect reference"):
//   repo:OWNER/REPO:environment:NAME        a job that names an environment
//   repo:OWNER/REPO:pull_request            pull_request events
//   repo:OWNER/REPO:ref:refs/heads/BRANCH   otherwise (refs/tags/TAG for tags)
// A repository may customize its `sub` (PUT /repos/{owner}/{repo}/actions/oidc/customization/sub,
// include_claim_keys): GitHub then writes each key as `key:value`, in order, `context` being the
// default form's tail. With GITHUB_SUB_CLAIM_KEYS (repo, context, job_workflow_ref) it also names
// the workflow file and the ref it ran from:
//   repo:OWNER/REPO:ref:refs/heads/main:job_workflow_ref:OWNER/REPO/.github/workflows/deploy.yml@refs/heads/main
// Repositories created (or renamed or transferred) after 2026-07-15 use immutable subjects,
// `repo:OWNER@OWNER_ID/REPO@REPO_ID:…`; GITHUB_REPOSITORY takes that spelling too. A `:` inside a
// value is written `%3A`.

import { environmentSuffix, type VercelEnvironment } from "./vercel-naming";

export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";
export const GITHUB_OIDC_HOST_PATH = "token.actions.githubusercontent.com";
/** The deploy role's logical id in the Keyless stack (trust:check and the sandbox name it). */
export const GITHUB_DEPLOY_ROLE_LOGICAL_ID = "GithubDeployRole";
/** The deploy boundary's logical id: the managed policy the deploy role carries. */
export const GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID = "GithubDeployBoundary";
/** The app boundary's logical id: the managed policy every other role of the stack carries. */
export const APP_BOUNDARY_LOGICAL_ID = "AppBoundary";
/** The start of each Vercel role's logical id (VercelRoleProduction). */
export const VERCEL_ROLE_LOGICAL_ID_PREFIX = "VercelRole";
/** A Vercel role's logical id: `production` → VercelRoleProduction, `qa-eu` → VercelRoleQaEu. */
export const vercelRoleLogicalId = (environment: VercelEnvironment): string =>
  `${VERCEL_ROLE_LOGICAL_ID_PREFIX}${environmentSuffix(environment)}`;
/**
 * The app bucket's logical id, and its access-log bucket's: CDK adds an 8-hex-digit hash to both
 * (AppBucket20FEBF1C, AppBucketAccessLogsE7BD868F), so both generated names start
 * `<stack lower case>-appbucket`.
 */
export const APP_BUCKET_LOGICAL_IDS = ["AppBucket", "AppBucketAccessLogs"] as const;
/** The `aud` configure-aws-credentials requests by default. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

// Owner: GitHub user/organisation names (≤39, letters, digits, single inner hyphens).
const OWNER = "[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}";
const REPO = "[A-Za-z0-9._-]{1,100}";
const REPOSITORY = new RegExp(`^(${OWNER})(@\\d+)?/(${REPO})(@\\d+)?$`);
const PROVIDER_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider\/(.+)$/;

/** Why `value` is not `owner/repo` (or `owner@id/repo@id`), or undefined when it is. */
export function githubRepositoryProblem(value: string): string | undefined {
  const match = REPOSITORY.exec(value);
  if (!match) {
    return `"${value}" is not owner/repo (e.g. acme/keyless, as in github.com/acme/keyless; for a repository created after 2026-07-15 GitHub's subject is owner@<owner id>/repo@<repo id>)`;
  }
  const [, , ownerId, repo, repoId] = match;
  if (repo === "." || repo === "..") return `"${value}" names no repository`;
  if ((ownerId === undefined) !== (repoId === undefined)) {
    return `"${value}" gives an id for only one of owner and repo; write owner@<owner id>/repo@<repo id> or owner/repo`;
  }
  return undefined;
}

/** Why `branch` cannot be matched exactly (wildcards, not a git branch name), or undefined. */
export function githubBranchProblem(branch: string): string | undefined {
  if (branch === "") return "it is empty";
  if (/[*?[\]]/.test(branch)) {
    return `"${branch}" has a wildcard; the deploy role trusts one branch exactly (e.g. main)`;
  }
  if (branch.startsWith("refs/")) {
    return `"${branch}" is a ref; give the branch name alone (e.g. main for refs/heads/main)`;
  }
  // git check-ref-format's rules that a branch name can break.
  if (
    /[\s~^:\\]/.test(branch) ||
    hasControlCharacter(branch) ||
    branch.includes("..") ||
    branch.includes("@{") ||
    branch.includes("//") ||
    /^[-/.]|[/.]$|\.lock$|\/\./.test(branch)
  ) {
    return `"${branch}" is not a git branch name`;
  }
  return undefined;
}

/** Why `name` is not usable as the deploy environment, or undefined. */
export function githubEnvironmentProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (/[*?]/.test(name)) {
    return `"${name}" has a wildcard; the deploy role trusts one GitHub environment exactly`;
  }
  if (name.length > 255 || hasControlCharacter(name)) {
    return `"${name}" is not a GitHub environment name (≤255 printable characters)`;
  }
  return undefined;
}

const hasControlCharacter = (text: string) =>
  [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/**
 * What the deploy role trusts: jobs of the deploy workflow on `branch` — in one GitHub environment
 * when `environment` is set (GitHub then writes the environment in `sub`, not the branch).
 */
export interface GithubDeployTarget {
  readonly branch: string;
  readonly environment?: string;
}

/**
 * Which `sub` the deploy role pins. `workflow` (the default): the repository's `sub` customized to
 * GITHUB_SUB_CLAIM_KEYS, so only the deploy workflow's file, run from the deploy branch, matches.
 * `default`: GitHub's own `sub`, which names the branch or the environment only — every workflow
 * of the repository on that branch matches, and in an environment, a job on any branch.
 */
export type GithubSubjectForm = "workflow" | "default";
export const GITHUB_SUBJECT_FORMS: readonly GithubSubjectForm[] = ["workflow", "default"];

/** The claim keys the `workflow` form has GitHub put in `sub`, in this order. */
export const GITHUB_SUB_CLAIM_KEYS = ["repo", "context", "job_workflow_ref"] as const;

/** The one workflow file the deploy role trusts (in the `workflow` form). */
export const GITHUB_DEPLOY_WORKFLOW = ".github/workflows/deploy.yml";

/** A job as GitHub describes it in `sub`. */
export interface GithubJob {
  /** The ref the run is for: refs/heads/BRANCH, refs/tags/TAG. */
  readonly ref: string;
  /** The GitHub environment the job names. */
  readonly environment?: string;
  /** A pull_request event. */
  readonly pullRequest?: boolean;
  /** The workflow file the job runs, and the ref it was read at. @default deploy.yml at `ref` */
  readonly workflow?: { readonly path: string; readonly ref: string };
}

/** GitHub writes `:` inside a claim value as `%3A`, so the parts of `sub` stay unambiguous. */
const escapeColons = (value: string) => value.replaceAll(":", "%3A");

/** `owner/repo` without immutable ids: how job_workflow_ref names the repository. */
export const githubRepositoryPath = (repository: string): string => repository.replace(/@\d+/g, "");

/** The exact `sub` of `job`'s token, in the repository's `form`. */
export function githubJobSubject(
  repository: string,
  job: GithubJob,
  form: GithubSubjectForm,
): string {
  const context =
    job.environment !== undefined
      ? `environment:${escapeColons(job.environment)}`
      : job.pullRequest
        ? "pull_request"
        : `ref:${escapeColons(job.ref)}`;
  const subject = `repo:${repository}:${context}`;
  if (form === "default") return subject;
  const workflow = job.workflow ?? { path: GITHUB_DEPLOY_WORKFLOW, ref: job.ref };
  const workflowRef = `${githubRepositoryPath(repository)}/${workflow.path}@${workflow.ref}`;
  return `${subject}:job_workflow_ref:${escapeColons(workflowRef)}`;
}

/** The exact `sub` the deploy role trusts: the deploy workflow on the target's branch. */
export function githubSubject(
  repository: string,
  target: GithubDeployTarget,
  form: GithubSubjectForm,
): string {
  return githubJobSubject(
    repository,
    { ref: `refs/heads/${target.branch}`, environment: target.environment },
    form,
  );
}

/** Why `arn` cannot be GitHub's OIDC provider, or undefined when it can. */
export function githubProviderArnProblem(arn: string): string | undefined {
  const match = PROVIDER_ARN.exec(arn);
  if (!match) {
    return `"${arn}" is not an OIDC provider ARN (arn:aws:iam::<12-digit account>:oidc-provider/${GITHUB_OIDC_HOST_PATH})`;
  }
  if (match[3] !== GITHUB_OIDC_HOST_PATH) {
    return `"${arn}" is the provider for https://${match[3]}, not GitHub's (${GITHUB_OIDC_ISSUER})`;
  }
  return undefined;
}

/** IAM's limit on a managed policy's name. */
const POLICY_NAME_MAX = 128;
const DEPLOY_BOUNDARY_SUFFIX = "-deploy-boundary";

/**
 * The deploy boundary's policy name. Fixed (not generated by CloudFormation) because the boundary
 * names its own ARN in its conditions, and a policy cannot Ref itself. IAM policy names are
 * account-wide: one stack of a given name per account carries a deploy role.
 */
export function githubDeployBoundaryName(stackName: string): string {
  const name = `${stackName}${DEPLOY_BOUNDARY_SUFFIX}`;
  if (name.length > POLICY_NAME_MAX) {
    throw new Error(
      `The deploy boundary's policy name "${name}" is longer than IAM's ${POLICY_NAME_MAX} characters: shorten KEYLESS_STACK_NAME to at most ${POLICY_NAME_MAX - DEPLOY_BOUNDARY_SUFFIX.length}`,
    );
  }
  return name;
}

/** The app boundary's policy name: fixed for the same reason (the deploy role's conditions name it). */
export function githubAppBoundaryName(stackName: string): string {
  // Shorter than the deploy boundary's name, whose check covers it.
  githubDeployBoundaryName(stackName);
  return `${stackName}-app-boundary`;
}

// CloudFormation names a role it creates `<stack>-<logical id>-<random>` (≤ 64 characters) and a
// bucket the same in lower case (≤ 63), cutting the stack and logical-id parts when the whole
// would be longer. The random part has been 12 or 13 characters in AWS's examples; 13 is assumed.
const ROLE_NAME_MAX = 64;
const BUCKET_NAME_MAX = 63;
const GENERATED_SUFFIX_MAX = 13;
const CDK_HASH_LENGTH = 8;

/** The longest stack name the deploy role allows, and the name part that sets it. */
export interface GithubStackNameLimit {
  readonly max: number;
  /** The logical id (or the policy-name suffix) whose generated name leaves the least room. */
  readonly setBy: string;
  /** The custom environment whose role's logical id sets the limit (a shorter name raises it). */
  readonly environment?: VercelEnvironment;
}

/**
 * The longest stack name whose generated role and bucket names are not cut, so they still start
 * with the `<stack>-<logical id>` prefixes the deploy role's permissions name. How CloudFormation
 * cuts a long name is not documented, so no cut at all is the only safe rule.
 */
export function githubStackNameLimit(
  environments: readonly VercelEnvironment[],
): GithubStackNameLimit {
  const room = (max: number, idLength: number) => max - 2 - idLength - GENERATED_SUFFIX_MAX;
  // The bucket and policy limits first: on a tie the environment is not what to shorten.
  const candidates: GithubStackNameLimit[] = [
    ...APP_BUCKET_LOGICAL_IDS.map((id) => ({
      max: room(BUCKET_NAME_MAX, id.length + CDK_HASH_LENGTH),
      setBy: id,
    })),
    {
      max: POLICY_NAME_MAX - DEPLOY_BOUNDARY_SUFFIX.length,
      setBy: GITHUB_DEPLOY_BOUNDARY_LOGICAL_ID,
    },
    {
      max: room(ROLE_NAME_MAX, GITHUB_DEPLOY_ROLE_LOGICAL_ID.length),
      setBy: GITHUB_DEPLOY_ROLE_LOGICAL_ID,
    },
    ...environments.map((environment) => {
      const id = `${VERCEL_ROLE_LOGICAL_ID_PREFIX}${environmentSuffix(environment)}`;
      return { max: room(ROLE_NAME_MAX, id.length), setBy: id, environment };
    }),
  ];
  return candidates.reduce((least, next) => (next.max < least.max ? next : least));
}

/** The longest stack name whose generated names are not cut (githubStackNameLimit). */
export function githubStackNameMax(environments: readonly VercelEnvironment[]): number {
  return githubStackNameLimit(environments).max;
}

/** Why `stackName` is too long for the deploy role's name prefixes, or undefined. */
export function githubStackNameProblem(
  stackName: string,
  environments: readonly VercelEnvironment[],
): string | undefined {
  const { max, setBy, environment } = githubStackNameLimit(environments);
  if (stackName.length <= max) return undefined;
  const shorterEnvironment = environment
    ? ` (or a shorter custom environment name than "${environment}")`
    : "";
  return `"${stackName}" is ${stackName.length} characters; with KEYLESS_GITHUB_REPOSITORY it may have at most ${max}: the deploy role is scoped to the names CloudFormation generates for this stack's roles and buckets (<stack>-<logical id>-<random>, cut to 64 and 63 characters), and a longer stack name would be cut out of the name generated for ${setBy}. Shorten KEYLESS_STACK_NAME${shorterEnvironment}`;
}
