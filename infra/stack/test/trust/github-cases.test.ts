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
  it("the matrix allows only this repository's default branch to the deploy role", () => {
    const config = loadInfraConfig(SAMPLE);
    const rows = runTrustMatrix(config, synthesizeKeylessTemplate(config), roleLogicalId);
    const github = rows.filter((row) => row.label.startsWith("GitHub:"));
    expect(github.length).toBeGreaterThanOrEqual(10);
    expect(rows.every((row) => row.ok)).toBe(true);
    expect(github.filter((row) => row.decision.allowed).map((row) => row.label)).toEqual([
      "GitHub: push to main",
    ]);
  });

  it("--claims decides GitHub-shaped claim sets (branch, PR, fork, look-alike, environment)", () => {
    const config = loadInfraConfig({ ...SAMPLE, KEYLESS_GITHUB_REPOSITORY: "acme@11/keyless@22" });
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
