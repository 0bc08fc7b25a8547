// trust:check's GitHub-shaped claim sets around the configured repository: the one run that may
// assume the deploy role, and the near misses that must not (another branch, a pull request, a
// tag, another repository, a fork, a look-alike owner, a wrong audience, a case variant).

import type { GithubDeployConfig } from "../config";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_ISSUER, githubSubject } from "../github-naming";

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
  const denied = (label: string, sub: string, aud?: string): MatrixCase => ({
    label: `GitHub: ${label}`,
    claims: token(sub, aud),
    expectedRole: null,
  });
  const ours = github.subject;
  const repoPrefix = `repo:${github.repository}`;
  const cases: MatrixCase[] = [
    {
      label: `GitHub: ${"branch" in github.target ? `push to ${github.target.branch}` : `environment ${github.target.environment}`}`,
      claims: token(ours),
      expectedRole: roleId,
    },
    denied(
      "another branch",
      githubSubject(github.repository, {
        branch: "branch" in github.target ? `${github.target.branch}-other` : "main-other",
      }),
    ),
    denied("a pull request", `${repoPrefix}:pull_request`),
    denied("a tag", `${repoPrefix}:ref:refs/tags/v1.0.0`),
    denied(
      "another repository of the owner",
      ours.replace(repoPrefix, `repo:${repository(owner, "other-repo")}`),
    ),
    denied(
      `a fork (someone-else/${repo})`,
      ours.replace(repoPrefix, `repo:${repository("someone-else", repo)}`),
    ),
    denied(
      `a look-alike owner (${owner}-evil)`,
      ours.replace(repoPrefix, `repo:${repository(`${owner}-evil`, repo)}`),
    ),
    denied(
      `repository name extends ours (${repo}-evil)`,
      ours.replace(repoPrefix, `repo:${repository(owner, `${repo}-evil`)}`),
    ),
    denied(
      "owner in another case",
      ours.replace(repoPrefix, `repo:${repository(flipCase(owner), repo)}`),
    ),
    denied("GitHub's default audience", ours, `https://github.com/${owner}`),
  ];
  cases.push(
    "branch" in github.target
      ? denied("a job in a GitHub environment", `${repoPrefix}:environment:production`)
      : denied("a push to main outside the environment", `${repoPrefix}:ref:refs/heads/main`),
  );
  return cases;
}

const flipCase = (text: string) =>
  text === text.toUpperCase() ? text.toLowerCase() : text.toUpperCase();
