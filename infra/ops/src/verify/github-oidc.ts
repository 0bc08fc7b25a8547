// Check `github-oidc` (pnpm verify --github): the repository's GitHub Actions OIDC `sub` is the one
// the deploy role trusts — customized to name the workflow (KEYLESS_GITHUB_SUBJECT=workflow), and
// written for the configured repository (owner/repo, or owner@id/repo@id). Read through the same
// API client as `pnpm github:oidc`, decided by the same functions, so the two cannot disagree.

import { UsageError } from "@repo/infra/cli";
import type { InfraConfig, InfraEnv } from "@repo/infra/config";
import { githubRepositoryPath } from "@repo/infra/github-naming";
import {
  customizationMatches,
  desiredCustomization,
  GithubOidcApi,
  prefixProblem,
  type SubjectCustomization,
} from "../setup/github-oidc";
import type { CheckResult } from "./types";

export function checkGithubOidc(
  facts: SubjectCustomization | { error: string },
  github: NonNullable<InfraConfig["github"]>,
): CheckResult {
  const name = "github-oidc";
  if ("error" in facts) return { name, ok: false, detail: facts.error };
  const repository = githubRepositoryPath(github.repository);
  const problem = prefixProblem(facts, github);
  if (problem) return { name, ok: false, detail: problem };
  if (!customizationMatches(facts, desiredCustomization(github, false))) {
    return {
      name,
      ok: false,
      detail:
        github.subjectForm === "workflow"
          ? `${repository} writes GitHub's default sub, which names no workflow: the deploy role (pinned to deploy.yml) refuses every run. Fix: \`pnpm github:oidc --apply\`.`
          : `${repository} customizes its sub (${facts.includeClaimKeys.join(", ")}), but KEYLESS_GITHUB_SUBJECT=default trusts GitHub's default form. Fix: \`pnpm github:oidc --apply\`, or KEYLESS_GITHUB_SUBJECT=workflow and an administrator's \`pnpm infra:deploy\`.`,
    };
  }
  return {
    name,
    ok: true,
    detail:
      github.subjectForm === "workflow"
        ? `${repository} names the workflow in its sub: only deploy.yml on ${github.target.branch} assumes the deploy role.`
        : `${repository} uses GitHub's default sub (KEYLESS_GITHUB_SUBJECT=default): ${github.target.environment ? `any job naming environment ${github.target.environment}, on any branch,` : `any workflow on ${github.target.branch}`} may assume the deploy role.`,
  };
}

/** Reads what checkGithubOidc needs, with GITHUB_TOKEN; a refusal becomes the check's detail. */
export function githubOidcReader(config: InfraConfig, env: InfraEnv) {
  const github = config.github;
  if (!github) {
    throw new UsageError(
      "--github checks the GitHub deploy role's repository, and KEYLESS_GITHUB_REPOSITORY is not set.",
    );
  }
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) {
    throw new UsageError(
      "--github reads the repository through GitHub's API: export GITHUB_TOKEN (a token that may administer the repository) and run it again.",
    );
  }
  const api = new GithubOidcApi({
    token,
    repository: github.repository,
    baseUrl: env.GITHUB_API_URL,
  });
  return {
    github,
    read: async (): Promise<SubjectCustomization | { error: string }> => {
      try {
        return await api.read();
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
