// The GitHub deploy role's variables: bad input is one problem naming the variable and the fix.

import { describe, expect, it } from "vitest";
import { InfraConfigError, loadInfraConfig } from "../src/config";

const SAMPLE = { VERCEL_TEAM_SLUG: "acme", VERCEL_PROJECT_NAME: "web", AWS_REGION: "us-east-1" };

function problems(env: Record<string, string>) {
  try {
    loadInfraConfig({ ...SAMPLE, ...env });
  } catch (error) {
    if (error instanceof InfraConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("KEYLESS_GITHUB_* configuration", () => {
  it("is off by default and ignores the runner's own GITHUB_REPOSITORY", () => {
    expect(loadInfraConfig({ ...SAMPLE, GITHUB_REPOSITORY: "octo/hello" }).github).toBeUndefined();
  });

  it("defaults to deploy.yml on the main branch, in the customized sub that names the workflow", () => {
    expect(
      loadInfraConfig({ ...SAMPLE, KEYLESS_GITHUB_REPOSITORY: "acme/keyless" }).github,
    ).toEqual({
      repository: "acme/keyless",
      target: { branch: "main" },
      subjectForm: "workflow",
      subject:
        "repo:acme/keyless:ref:refs/heads/main:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
      existingProviderArn: undefined,
    });
  });

  it("KEYLESS_GITHUB_SUBJECT=default keeps GitHub's own sub; anything else is refused with the choices", () => {
    const github = loadInfraConfig({
      ...SAMPLE,
      KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
      KEYLESS_GITHUB_DEPLOY_ENVIRONMENT: "production",
      KEYLESS_GITHUB_SUBJECT: "default",
    }).github;
    expect(github).toMatchObject({
      target: { branch: "main", environment: "production" },
      subjectForm: "default",
      subject: "repo:acme/keyless:environment:production",
    });
    expect(() =>
      loadInfraConfig({
        ...SAMPLE,
        KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
        KEYLESS_GITHUB_SUBJECT: "job_workflow_ref",
      }),
    ).toThrow(
      /KEYLESS_GITHUB_SUBJECT.*"job_workflow_ref" is not a subject form: workflow .* or default/s,
    );
  });

  it.each([
    [{ KEYLESS_GITHUB_REPOSITORY: "acme" }, "KEYLESS_GITHUB_REPOSITORY", /not owner\/repo/],
    [
      { KEYLESS_GITHUB_REPOSITORY: "acme/keyless", KEYLESS_GITHUB_DEPLOY_BRANCH: "release/*" },
      "KEYLESS_GITHUB_DEPLOY_BRANCH",
      /wildcard/,
    ],
    [
      { KEYLESS_GITHUB_REPOSITORY: "acme/keyless", KEYLESS_GITHUB_DEPLOY_ENVIRONMENT: "prod*" },
      "KEYLESS_GITHUB_DEPLOY_ENVIRONMENT",
      /wildcard/,
    ],
    [
      {
        KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
        KEYLESS_GITHUB_OIDC_PROVIDER_ARN:
          "arn:aws:iam::12345:oidc-provider/token.actions.githubusercontent.com",
      },
      "KEYLESS_GITHUB_OIDC_PROVIDER_ARN",
      /12-digit/,
    ],
    [
      { KEYLESS_GITHUB_DEPLOY_BRANCH: "main" },
      "KEYLESS_GITHUB_REPOSITORY",
      /but KEYLESS_GITHUB_DEPLOY_BRANCH is set/,
    ],
  ])("%o → one problem for %s", (env, variable, message) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]?.variable).toBe(variable);
    expect(found[0]?.message).toMatch(message);
  });
});
