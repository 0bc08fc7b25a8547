// GitHub Actions-shaped token claims for the sandbox's issuer: the issuer, the audience
// configure-aws-credentials asks for, the `sub` forms GitHub writes, and the usual claims of a
// workflow run. Signed by the same key as the Vercel-shaped tokens: every provider in the
// sandbox's IAM is verified against that key.

import { randomUUID } from "node:crypto";
import {
  GITHUB_DEPLOY_WORKFLOW,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_ISSUER,
  GITHUB_SUB_CLAIM_KEYS,
  type GithubSubjectForm,
} from "@repo/infra/github-naming";
import type { JWTPayload } from "jose";

export interface GithubMintOptions {
  /** owner/repo, or owner@id/repo@id (immutable subjects). @default "acme/keyless" */
  repository?: string;
  /** The branch pushed to. @default "main" */
  branch?: string;
  /** A job in this GitHub environment: `sub` then names it instead of the ref. */
  environment?: string;
  /** A pull_request event: `sub` ends in `:pull_request`. */
  pullRequest?: boolean;
  /** The workflow file the job runs (job_workflow_ref). @default ".github/workflows/deploy.yml" */
  workflow?: string;
  /**
   * The repository's customized claim keys (include_claim_keys): `sub` is then each key as
   * `key:value`, in order, `context` standing for the default form's tail. Unset = GitHub's
   * default `sub`.
   */
  claimKeys?: readonly string[];
  /** Shorthand: `workflow` = the claim keys `pnpm github:oidc --apply` sets. */
  subjectForm?: GithubSubjectForm;
  /** Overrides for forged tokens. */
  audience?: string;
  issuer?: string;
  lifetimeSeconds?: number;
  expired?: boolean;
}

const EXPIRED_AGO_SECONDS = 3600;

/** The claims GitHub puts in a run's OIDC token (docs: "OpenID Connect reference"). */
export function githubClaims(options: GithubMintOptions = {}, now = Date.now()): JWTPayload {
  const spelled = options.repository ?? "acme/keyless";
  const [ownerPart = "", repoPart = ""] = spelled.split("/");
  const [owner = "", ownerId = "1000001"] = ownerPart.split("@");
  const [repo = "", repoId = "2000002"] = repoPart.split("@");
  const branch = options.branch ?? "main";
  const ref = `refs/heads/${branch}`;
  const workflowPath = options.workflow ?? GITHUB_DEPLOY_WORKFLOW;
  const lifetime = options.lifetimeSeconds ?? 300;
  const issuedAt = Math.floor(now / 1000) - (options.expired ? EXPIRED_AGO_SECONDS + lifetime : 0);
  const workflowRef = `${owner}/${repo}/${workflowPath}@${ref}`;
  const claims = {
    iss: options.issuer ?? GITHUB_OIDC_ISSUER,
    aud: options.audience ?? GITHUB_OIDC_AUDIENCE,
    jti: randomUUID(),
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + lifetime,
    ref,
    ref_type: "branch",
    sha: "0".repeat(40),
    repository: `${owner}/${repo}`,
    repository_id: repoId,
    repository_owner: owner,
    repository_owner_id: ownerId,
    repository_visibility: "private",
    actor: "sandbox-user",
    actor_id: "3000003",
    event_name: options.pullRequest ? "pull_request" : "push",
    run_id: "4000004",
    run_number: "1",
    run_attempt: "1",
    runner_environment: "github-hosted",
    workflow:
      workflowPath
        .split("/")
        .at(-1)
        ?.replace(/\.ya?ml$/, "") ?? "deploy",
    workflow_ref: workflowRef,
    workflow_sha: "0".repeat(40),
    job_workflow_ref: workflowRef,
    job_workflow_sha: "0".repeat(40),
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.pullRequest ? { head_ref: branch, base_ref: "main" } : {}),
  };
  const keys =
    options.claimKeys ?? (options.subjectForm === "workflow" ? GITHUB_SUB_CLAIM_KEYS : undefined);
  return { sub: customizedSubject(spelled, claims, options, keys), ...claims };
}

/** GitHub writes `:` inside a claim value as `%3A`. */
const escapeColons = (value: string) => value.replaceAll(":", "%3A");

/**
 * The `sub` GitHub writes: the default form without claim keys, else each key as `key:value` in
 * order (`repo` is the repository segment, `context` the default form's tail), as GitHub's docs
 * describe it — written here independently of the naming rules the stack trusts, so a test can hold
 * the two against each other.
 */
function customizedSubject(
  repository: string,
  claims: Record<string, unknown>,
  job: Pick<GithubMintOptions, "environment" | "pullRequest">,
  keys: readonly string[] | undefined,
): string {
  const context = job.environment
    ? `environment:${escapeColons(job.environment)}`
    : job.pullRequest
      ? "pull_request"
      : `ref:${escapeColons(String(claims.ref))}`;
  if (!keys) return `repo:${repository}:${context}`;
  return keys
    .map((key) =>
      key === "repo"
        ? `repo:${repository}`
        : key === "context"
          ? context
          : `${key}:${escapeColons(String(claims[key] ?? ""))}`,
    )
    .join(":");
}
