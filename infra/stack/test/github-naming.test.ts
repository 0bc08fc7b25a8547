import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  GITHUB_DEPLOY_WORKFLOW,
  GITHUB_SUB_CLAIM_KEYS,
  githubAppBoundaryName,
  githubBranchProblem,
  githubDeployBoundaryName,
  githubEnvironmentProblem,
  githubJobSubject,
  githubProviderArnProblem,
  githubRepositoryProblem,
  githubStackNameLimit,
  githubStackNameMax,
  githubStackNameProblem,
  githubSubject,
} from "../src/github-naming";

describe("GitHub naming rules", () => {
  it("builds the sub GitHub puts in a run's token, in its default form", () => {
    expect(githubSubject("acme/keyless", { branch: "main" }, "default")).toBe(
      "repo:acme/keyless:ref:refs/heads/main",
    );
    expect(
      githubSubject("acme/keyless", { branch: "main", environment: "production" }, "default"),
    ).toBe("repo:acme/keyless:environment:production");
    // Immutable subjects for repositories created after 2026-07-15.
    expect(githubSubject("acme@1234/keyless@5678", { branch: "main" }, "default")).toBe(
      "repo:acme@1234/keyless@5678:ref:refs/heads/main",
    );
    // GitHub escapes ':' inside a value.
    expect(
      githubSubject("acme/keyless", { branch: "main", environment: "prod:eu" }, "default"),
    ).toBe("repo:acme/keyless:environment:prod%3Aeu");
    expect(
      githubJobSubject("acme/keyless", { ref: "refs/pull/7/merge", pullRequest: true }, "default"),
    ).toBe("repo:acme/keyless:pull_request");
  });

  it("names the deploy workflow this repository has (renaming it would lock every run out)", () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    expect(existsSync(join(root, GITHUB_DEPLOY_WORKFLOW))).toBe(true);
  });

  it("and customized to repo, context and job_workflow_ref: the workflow file and the ref it ran from", () => {
    expect(GITHUB_SUB_CLAIM_KEYS).toEqual(["repo", "context", "job_workflow_ref"]);
    expect(githubSubject("acme/keyless", { branch: "main" }, "workflow")).toBe(
      "repo:acme/keyless:ref:refs/heads/main:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
    );
    // In an environment the context is the environment, and job_workflow_ref still pins the branch.
    expect(
      githubSubject("acme/keyless", { branch: "release", environment: "production" }, "workflow"),
    ).toBe(
      "repo:acme/keyless:environment:production:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/release",
    );
    // The ids stay in the repo segment; job_workflow_ref names the repository by name.
    expect(githubSubject("acme@1234/keyless@5678", { branch: "main" }, "workflow")).toBe(
      "repo:acme@1234/keyless@5678:ref:refs/heads/main:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
    );
    // Another workflow on the same branch: the same default sub, a different customized one.
    const chatops = {
      ref: "refs/heads/main",
      workflow: { path: ".github/workflows/chatops.yml", ref: "refs/heads/main" },
    };
    expect(githubJobSubject("acme/keyless", chatops, "default")).toBe(
      githubSubject("acme/keyless", { branch: "main" }, "default"),
    );
    expect(githubJobSubject("acme/keyless", chatops, "workflow")).not.toBe(
      githubSubject("acme/keyless", { branch: "main" }, "workflow"),
    );
  });

  it("accepts owner/repo and owner@id/repo@id, refuses anything else", () => {
    for (const good of ["acme/keyless", "Acme-Co/web.app_2", "acme@1/keyless@2"]) {
      expect(githubRepositoryProblem(good)).toBeUndefined();
    }
    for (const bad of [
      "acme",
      "acme/",
      "/keyless",
      "acme/keyless/extra",
      "-acme/keyless",
      "acme/*",
      "acme@1/keyless",
      "https://github.com/acme/keyless",
      "acme/..",
    ]) {
      expect(githubRepositoryProblem(bad)).toMatch(/owner\/repo|names no repository|only one/);
    }
  });

  it("refuses branch wildcards, refs and names git would refuse", () => {
    expect(githubBranchProblem("main")).toBeUndefined();
    expect(githubBranchProblem("release/2026")).toBeUndefined();
    expect(githubBranchProblem("release/*")).toMatch(/wildcard/);
    expect(githubBranchProblem("ma?n")).toMatch(/wildcard/);
    expect(githubBranchProblem("refs/heads/main")).toMatch(/branch name alone/);
    for (const bad of ["a..b", "-x", "x.lock", "a b", "a:b", "x/"]) {
      expect(githubBranchProblem(bad)).toMatch(/not a git branch name/);
    }
  });

  it("refuses environment wildcards", () => {
    expect(githubEnvironmentProblem("production")).toBeUndefined();
    expect(githubEnvironmentProblem("prod*")).toMatch(/wildcard/);
  });

  it("takes only GitHub's provider as the existing one", () => {
    expect(
      githubProviderArnProblem(
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
      ),
    ).toBeUndefined();
    expect(
      githubProviderArnProblem("arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/acme"),
    ).toMatch(/not GitHub's/);
    expect(githubProviderArnProblem("nope")).toMatch(/not an OIDC provider ARN/);
  });

  it("names the deploy boundary after the stack, within IAM's 128 characters", () => {
    expect(githubDeployBoundaryName("KeylessVercelOidc")).toBe("KeylessVercelOidc-deploy-boundary");
    expect(githubDeployBoundaryName("K".repeat(112))).toHaveLength(128);
    expect(() => githubDeployBoundaryName("K".repeat(113))).toThrow(
      /KEYLESS_STACK_NAME to at most 112/,
    );
  });

  it("names the app boundary after the stack", () => {
    expect(githubAppBoundaryName("KeylessVercelOidc")).toBe("KeylessVercelOidc-app-boundary");
    expect(() => githubAppBoundaryName("K".repeat(113))).toThrow(/at most 112/);
  });

  it("limits the stack name so that no generated role or bucket name is cut", () => {
    // The access-log bucket: 63 − "-" − AppBucketAccessLogs + 8-digit hash − "-" − 13 = 21.
    expect(githubStackNameMax(["production"])).toBe(21);
    expect(githubStackNameMax(["production", "preview", "development"])).toBe(21);
    // A long custom environment makes its role's logical id the longest: 64 − 2 − 29 − 13.
    expect(githubStackNameMax(["production", "qa-eu-central-long-name"])).toBe(20);
    expect(githubStackNameProblem("KeylessVercelOidc", ["production"])).toBeUndefined();
    expect(githubStackNameProblem("K".repeat(21), ["production"])).toBeUndefined();
    expect(githubStackNameProblem("K".repeat(22), ["production"])).toMatch(
      /^"K{22}" is 22 characters; with KEYLESS_GITHUB_REPOSITORY it may have at most 21: .* the name generated for AppBucketAccessLogs\. Shorten KEYLESS_STACK_NAME$/,
    );
  });

  it("names the custom environment whose role sets the limit, and offers a shorter name for it", () => {
    expect(githubStackNameLimit(["production", "qa-eu-central-long-name"])).toEqual({
      max: 20,
      setBy: "VercelRoleQaEuCentralLongName",
      environment: "qa-eu-central-long-name",
    });
    expect(
      githubStackNameProblem("K".repeat(21), ["production", "qa-eu-central-long-name"]),
    ).toMatch(
      /at most 20: .* the name generated for VercelRoleQaEuCentralLongName\. Shorten KEYLESS_STACK_NAME \(or a shorter custom environment name than "qa-eu-central-long-name"\)$/,
    );
    // On a tie with the log bucket a shorter environment name would not help: not offered.
    const tie = "e".repeat(18); // VercelRole + 18 = 28, as long as AppBucketAccessLogs + hash − 1
    expect(githubStackNameLimit(["production", tie])).toEqual({
      max: 21,
      setBy: "AppBucketAccessLogs",
    });
    expect(githubStackNameProblem("K".repeat(22), ["production", tie])).not.toMatch(
      /custom environment/,
    );
  });
});
