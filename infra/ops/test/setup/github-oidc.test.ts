// pnpm github:oidc against the sandbox's stand-in of GitHub's API (the repository's OIDC subject
// customization, in the shapes of GitHub's OpenAPI description): the dry run, --apply, the
// repository segment GitHub writes, and what it says when something is off.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInfraConfig } from "@repo/infra/config";
import { GITHUB_SUB_CLAIM_KEYS } from "@repo/infra/github-naming";
import { type FakeGithub, startGithubApiStandIn } from "@repo/sandbox/github-api";
import { SAMPLE_CONFIG } from "@repo/sandbox/test-kit/sample-config";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  customizationMatches,
  desiredCustomization,
  prefixProblem,
  runGithubOidc,
} from "../../src/setup/github-oidc";
import { checkGithubOidc, githubOidcReader } from "../../src/verify/github-oidc";
import { collector } from "../helpers/streams";

const TOKEN = "ghp_test0000000000000000000000000000000000";
let github: FakeGithub;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyless-github-oidc-"));
  writeFileSync(join(dir, ".env"), "");
  github = await startGithubApiStandIn({
    token: TOKEN,
    repositories: [{ owner: "acme", ownerId: 11, name: "keyless", id: 22 }],
  });
});
afterAll(async () => {
  await github.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => github.customizations.clear());

async function run(argv: string[], environment: Record<string, string> = {}) {
  const out = collector();
  const err = collector();
  const code = await runGithubOidc({
    argv: ["--env-path", join(dir, ".env"), ...argv],
    environment: {
      ...SAMPLE_CONFIG,
      KEYLESS_GITHUB_REPOSITORY: "acme/keyless",
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: github.url,
      ...environment,
    },
    stdout: out.stream,
    stderr: err.stream,
  });
  const output = out.text() + err.text();
  expect(output).not.toContain(TOKEN);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe("pnpm github:oidc", () => {
  it("dry run: reads the repository's sub, shows the PUT, changes nothing", async () => {
    const result = await run([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "the deploy role trusts  repo:acme/keyless:ref:refs/heads/main:job_workflow_ref:acme/keyless/.github/workflows/deploy.yml@refs/heads/main",
    );
    expect(result.stdout).toContain("now                     GitHub's default sub");
    expect(result.stdout).toContain(
      `~ PUT {"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}`,
    );
    expect(result.stdout).toContain("Repository-wide");
    expect(github.customizations.get("acme/keyless")?.useDefault ?? true).toBe(true);
  });

  it("--apply customizes it; a second run has nothing to change", async () => {
    expect((await run(["--apply"])).code).toBe(0);
    expect(github.customizations.get("acme/keyless")).toMatchObject({
      useDefault: false,
      includeClaimKeys: [...GITHUB_SUB_CLAIM_KEYS],
    });
    const again = await run(["--apply"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("= nothing to change");
  });

  it("KEYLESS_GITHUB_SUBJECT=default puts GitHub's own sub back", async () => {
    await run(["--apply"]);
    const back = await run(["--apply"], { KEYLESS_GITHUB_SUBJECT: "default" });
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('~ PUT {"use_default":true}');
    expect(github.customizations.get("acme/keyless")?.useDefault).toBe(true);
  });

  it("--immutable opts in to id-based subjects, then says which repository to configure (exit 1)", async () => {
    const result = await run(["--apply", "--immutable"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "GitHub writes repo:acme@11/keyless@22 for this repository, but the deploy role trusts repo:acme/keyless: set KEYLESS_GITHUB_REPOSITORY=acme@11/keyless@22",
    );
    const configured = await run(["--immutable"], {
      KEYLESS_GITHUB_REPOSITORY: "acme@11/keyless@22",
    });
    expect(configured.code).toBe(0);
    expect(configured.stdout).toContain("= nothing to change");
  });

  it("keeps the opt-in to id-based subjects in every later change", async () => {
    await run(["--apply", "--immutable"], { KEYLESS_GITHUB_REPOSITORY: "acme@11/keyless@22" });
    // Back to GitHub's default form, then to the workflow form: the ids stay.
    for (const subject of ["default", "workflow"]) {
      const result = await run(["--apply"], {
        KEYLESS_GITHUB_REPOSITORY: "acme@11/keyless@22",
        KEYLESS_GITHUB_SUBJECT: subject,
      });
      expect(result.stdout).toContain('"use_immutable_subject":true');
      expect(result.code).toBe(0);
    }
    expect(github.customizations.get("acme/keyless")?.useImmutableSubject).toBe(true);
  });

  it("an unreachable or malformed GITHUB_API_URL is one explained line, never the token", async () => {
    const closed = await run([], { GITHUB_API_URL: "http://127.0.0.1:9" });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(
      /^Could not reach GitHub's API at http:\/\/127\.0\.0\.1:9 \(GET /,
    );
    const withCredentials = await run([], {
      GITHUB_API_URL: `https://user:${TOKEN}@ghe.example/api/v3`,
    });
    expect(withCredentials.code).toBe(2);
    expect(withCredentials.stderr).toContain("is not an http(s) URL without credentials");
  });

  it("without GITHUB_TOKEN: the dry run says what --apply would send; --apply is a usage error", async () => {
    const dry = await run([], { GITHUB_TOKEN: "" });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("not read (no GITHUB_TOKEN)");
    const apply = await run(["--apply"], { GITHUB_TOKEN: "" });
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain("export GITHUB_TOKEN");
  });

  it("explains a refused token and an unknown repository, and needs the deploy role configured", async () => {
    const refused = await run([], { GITHUB_TOKEN: "ghp_wrong" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("401 Bad credentials. GITHUB_TOKEN was refused");
    const unknown = await run([], { KEYLESS_GITHUB_REPOSITORY: "acme/other" });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("404 Not Found. The repository was not found with this token");
    const off = await run([], { KEYLESS_GITHUB_REPOSITORY: "" });
    expect(off.code).toBe(2);
    expect(off.stderr).toContain("KEYLESS_GITHUB_REPOSITORY is not set");
  });
});

describe("the customization the deploy role needs (pure)", () => {
  const current = (over = {}) => ({
    useDefault: true,
    includeClaimKeys: [],
    useImmutableSubject: false,
    ...over,
  });
  it("matches the claim keys exactly, in order", () => {
    const desired = desiredCustomization({ subjectForm: "workflow" }, false);
    expect(customizationMatches(current(), desired)).toBe(false);
    expect(
      customizationMatches(
        current({ useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] }),
        desired,
      ),
    ).toBe(true);
    expect(
      customizationMatches(
        current({ useDefault: false, includeClaimKeys: ["context", "repo", "job_workflow_ref"] }),
        desired,
      ),
    ).toBe(false);
    expect(
      customizationMatches(current(), desiredCustomization({ subjectForm: "default" }, false)),
    ).toBe(true);
  });

  it("names the prefix GitHub writes when it is not the configured repository's", () => {
    expect(
      prefixProblem(current({ subClaimPrefix: "repo:acme/keyless" }), {
        repository: "acme/keyless",
      }),
    ).toBeUndefined();
    expect(
      prefixProblem(current({ subClaimPrefix: "repo:acme@1/keyless@2" }), {
        repository: "acme/keyless",
      }),
    ).toContain("set KEYLESS_GITHUB_REPOSITORY=acme@1/keyless@2");
  });
});

describe("pnpm verify --github: check github-oidc", () => {
  const config = (over: Record<string, string> = {}) =>
    loadInfraConfig({ ...SAMPLE_CONFIG, KEYLESS_GITHUB_REPOSITORY: "acme/keyless", ...over });
  const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: "" };
  const check = async (over: Record<string, string> = {}) => {
    const reader = githubOidcReader(config(over), { ...env, GITHUB_API_URL: github.url });
    return checkGithubOidc(await reader.read(), reader.github);
  };

  it("fails with the fix while the repository writes GitHub's default sub, passes once applied", async () => {
    expect(await check()).toEqual({
      name: "github-oidc",
      ok: false,
      detail:
        "acme/keyless writes GitHub's default sub, which names no workflow: the deploy role (pinned to deploy.yml) refuses every run. Fix: `pnpm github:oidc --apply`.",
    });
    await run(["--apply"]);
    expect(await check()).toMatchObject({
      ok: true,
      detail: expect.stringContaining("only deploy.yml on main"),
    });
  });

  it("fails when GitHub writes another repository segment than the configured one", async () => {
    await run(["--apply", "--immutable"]);
    expect((await check()).detail).toContain("set KEYLESS_GITHUB_REPOSITORY=acme@11/keyless@22");
    expect(await check({ KEYLESS_GITHUB_REPOSITORY: "acme@11/keyless@22" })).toMatchObject({
      ok: true,
    });
  });

  it("turns a refused token into the check's detail, and needs a token and the repository", async () => {
    const refused = githubOidcReader(config(), {
      GITHUB_TOKEN: "ghp_wrong",
      GITHUB_API_URL: github.url,
    });
    const result = checkGithubOidc(await refused.read(), refused.github);
    expect(result).toMatchObject({
      ok: false,
      detail: expect.stringContaining("401 Bad credentials"),
    });
    expect(() => githubOidcReader(config(), { GITHUB_API_URL: github.url })).toThrow(
      /export GITHUB_TOKEN/,
    );
    expect(() => githubOidcReader(config({ KEYLESS_GITHUB_REPOSITORY: "" }), env)).toThrow(
      /KEYLESS_GITHUB_REPOSITORY is not set/,
    );
  });
});
