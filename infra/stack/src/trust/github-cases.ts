// trust:check's GitHub-shaped claim sets around the configured repository: the one run that may
// assume the deploy role, and the near misses that must not (another branch, another workflow, a
// workflow_run job, a pull request, a tag, another repository, a fork, a look-alike owner, a wrong
// audience, a case variant). Each `sub` is the one GitHub writes for that run in the repository's
// subject form; where GitHub's default form cannot tell a run from the deploy workflow's, the row
// says ALLOWED and why.

import type { GithubDeployConfig } from "../config";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_ISSUER,
  type GithubJob,
  githubJobSubject,
} from "../github-naming";

/** One row of the trust matrix: claims, and the role the configuration means to allow. */
export interface MatrixCase {
  readonly label: string;
  readonly claims: Readonly<Record<string, string>>;
  /** The role the configuration means to allow, or null: anything else is a contradiction. */
  readonly expectedRole: string | null;
}

export function githubMatrixCases(github: GithubDeployConfig, roleId: string): MatrixCase[] {
  const [ownerPart = "", repoPart = ""] = github.repository.split("/");
  const [owner = "", ownerId] = ownerPart.split("@");
  const [repo = "", repoId] = repoPart.split("@");
  const spell = (name: string, id: string | undefined) => (id ? `${name}@${id}` : name);
  const repository = (o: string, r: string) => `${spell(o, ownerId)}/${spell(r, repoId)}`;
  const token = (sub: string, aud = GITHUB_OIDC_AUDIENCE) => ({
    iss: GITHUB_OIDC_ISSUER,
    aud,
    sub,
    repository: `${owner}/${repo}`,
    repository_owner: owner,
  });
  const form = github.subjectForm;
  const { branch, environment } = github.target;
  const deployRef = `refs/heads/${branch}`;
  /** The `sub` GitHub writes for `job` of our repository, in the repository's form. */
  const sub = (job: GithubJob) => githubJobSubject(github.repository, job, form);
  const row = (label: string, subject: string, allowed: boolean, aud?: string): MatrixCase => ({
    label: `GitHub: ${label}`,
    claims: token(subject, aud),
    expectedRole: allowed ? roleId : null,
  });
  // GitHub's default `sub` names only the branch or the environment: these runs share the deploy
  // workflow's `sub`, so the role cannot refuse them — said as ALLOWED rows, with the reason.
  const sameSubInDefault = form === "default";
  const because =
    " (GitHub's default sub names no workflow: KEYLESS_GITHUB_SUBJECT=workflow refuses it)";
  const ours = github.subject;
  /** The deploy workflow's own run, in another repository: its `sub` names that repository. */
  const elsewhere = (other: string) =>
    githubJobSubject(other, { ref: deployRef, environment }, form);
  const otherWorkflow = (path: string) => ({ path, ref: deployRef });
  const cases: MatrixCase[] = [
    row(
      `deploy.yml, ${environment ? `environment ${environment} on ${branch}` : `push to ${branch}`}`,
      ours,
      true,
    ),
    row("deploy.yml on another branch", sub({ ref: `refs/heads/${branch}-other` }), false),
    row(
      `another workflow on ${branch} (chatops.yml)${sameSubInDefault ? because : ""}`,
      sub({
        ref: deployRef,
        environment,
        workflow: otherWorkflow(".github/workflows/chatops.yml"),
      }),
      sameSubInDefault,
    ),
    row(
      `a workflow_run job (ci-report.yml, on the default branch)${sameSubInDefault && !environment && branch === "main" ? because : ""}`,
      sub({ ref: "refs/heads/main", workflow: otherWorkflow(".github/workflows/ci-report.yml") }),
      sameSubInDefault && !environment && branch === "main",
    ),
    row("a pull request", sub({ ref: "refs/pull/7/merge", pullRequest: true }), false),
    row("a tag", sub({ ref: "refs/tags/v1.0.0" }), false),
    row("another repository of the owner", elsewhere(repository(owner, "other-repo")), false),
    row(`a fork (someone-else/${repo})`, elsewhere(repository("someone-else", repo)), false),
    row(`a look-alike owner (${owner}-evil)`, elsewhere(repository(`${owner}-evil`, repo)), false),
    row(
      `repository name extends ours (${repo}-evil)`,
      elsewhere(repository(owner, `${repo}-evil`)),
      false,
    ),
    row("owner in another case", elsewhere(repository(flipCase(owner), repo)), false),
    row("GitHub's default audience", ours, false, `https://github.com/${owner}`),
  ];
  if (environment) {
    cases.push(
      row(
        `deploy.yml on another branch, naming environment ${environment}${sameSubInDefault ? because : ""}`,
        sub({ ref: `refs/heads/${branch}-other`, environment }),
        sameSubInDefault,
      ),
      row(`a push to ${branch} outside the environment`, sub({ ref: deployRef }), false),
    );
  } else {
    cases.push(
      row(
        "a job in a GitHub environment",
        sub({ ref: deployRef, environment: "production" }),
        false,
      ),
    );
  }
  if (form === "workflow") {
    // The repository's sub not customized yet: GitHub writes the default form, which this trust refuses.
    cases.push(
      row(
        "deploy.yml before `pnpm github:oidc --apply` (default sub)",
        githubJobSubject(github.repository, { ref: deployRef, environment }, "default"),
        false,
      ),
    );
  }
  return cases;
}

const flipCase = (text: string) =>
  text === text.toUpperCase() ? text.toLowerCase() : text.toUpperCase();
