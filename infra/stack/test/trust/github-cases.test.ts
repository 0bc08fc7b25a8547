import { describe, expect, it } from "vitest";
import { loadInfraConfig } from "../../src/config";
import { roleLogicalId } from "../../src/keyless-stack";
import { synthesizeKeylessTemplate } from "../../src/synth";
import { decideClaimsList, runTrustMatrix } from "../../src/trust/check";

const SAMPLE = {
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
  KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
};
const ISS = "https://token.actions.githubusercontent.com";

describe("trust:check with a GitHub deploy role", { timeout: 60_000 }, () => {
  it("the matrix allows only deploy.yml on this repository's default branch to the deploy role", () => {
    const config = loadInfraConfig(SAMPLE);
    const rows = runTrustMatrix(config, synthesizeKeylessTemplate(config), roleLogicalId);
    const github = rows.filter((row) => row.label.startsWith("GitHub:"));
    expect(github.length).toBeGreaterThanOrEqual(12);
    expect(rows.every((row) => row.ok)).toBe(true);
    expect(github.filter((row) => row.decision.allowed).map((row) => row.label)).toEqual([
      "GitHub: deploy.yml, push to main",
    ]);
    // The runs GitHub's default sub cannot tell apart are refused here.
    for (const label of [
      "GitHub: another workflow on main (chatops.yml)",
      "GitHub: a workflow_run job (ci-report.yml, on the default branch)",
      "GitHub: deploy.yml before `pnpm github:oidc --apply` (default sub)",
    ]) {
      expect(github.find((row) => row.label === label)?.decision.allowed).toBe(false);
    }
  });

  it("in an environment: deploy.yml on another branch naming it is refused, with the workflow form", () => {
    const config = loadInfraConfig({ ...SAMPLE, KEYLESS_GITHUB_DEPLOY_ENVIRONMENT: "production" });
    const rows = runTrustMatrix(config, synthesizeKeylessTemplate(config), roleLogicalId);
    expect(rows.every((row) => row.ok)).toBe(true);
    const allowed = rows.filter((row) => row.label.startsWith("GitHub:") && row.decision.allowed);
    expect(allowed.map((row) => row.label)).toEqual([
      "GitHub: deploy.yml, environment production on main",
    ]);
    expect(
      rows.find(
        (row) =>
          row.label === "GitHub: deploy.yml on another branch, naming environment production",
      )?.decision.allowed,
    ).toBe(false);
  });

  it("with GitHub's default sub, the runs it cannot tell apart are ALLOWED rows that say why", () => {
    const config = loadInfraConfig({
      ...SAMPLE,
      KEYLESS_GITHUB_DEPLOY_ENVIRONMENT: "production",
      KEYLESS_GITHUB_SUBJECT: "default",
    });
    const rows = runTrustMatrix(config, synthesizeKeylessTemplate(config), roleLogicalId);
    // Honest: every row's expectation matches what IAM decides.
    expect(rows.every((row) => row.ok)).toBe(true);
    const allowed = rows.filter((row) => row.label.startsWith("GitHub:") && row.decision.allowed);
    expect(allowed.map((row) => row.label)).toEqual([
      "GitHub: deploy.yml, environment production on main",
      "GitHub: another workflow on main (chatops.yml) (GitHub's default sub names no workflow: KEYLESS_GITHUB_SUBJECT=workflow refuses it)",
      "GitHub: deploy.yml on another branch, naming environment production (GitHub's default sub names no workflow: KEYLESS_GITHUB_SUBJECT=workflow refuses it)",
    ]);
  });

  it("--claims decides GitHub-shaped claim sets (branch, PR, fork, look-alike, environment)", () => {
    const config = loadInfraConfig({
      ...SAMPLE,
      KEYLESS_GITHUB_REPOSITORY: "acme@11/keyless@22",
      KEYLESS_GITHUB_SUBJECT: "default",
    });
    const sub = (tail: string, repo = "acme@11/keyless@22") => ({
      iss: ISS,
      aud: "sts.amazonaws.com",
      sub: `repo:${repo}:${tail}`,
    });
    const decisions = decideClaimsList(config, synthesizeKeylessTemplate(config), [
      sub("ref:refs/heads/main"),
      sub("ref:refs/heads/dev"),
      sub("pull_request"),
      sub("ref:refs/heads/main", "mallory@33/keyless@44"),
      sub("ref:refs/heads/main", "acme-evil@11/keyless@22"),
      sub("ref:refs/heads/main", "acme/keyless"),
      sub("environment:production"),
      { ...sub("ref:refs/heads/main"), aud: "https://github.com/acme" },
    ]);
    expect(decisions.map((d) => d.role)).toEqual([
      "GithubDeployRole",
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(decisions[2]?.reason).toContain("pull_request");
    expect(decisions[2]?.reason).not.toContain("VercelRole");
  });
});
