// The sandbox's GitHub API (a repository's OIDC subject customization) and the `sub` the sandbox's
// GitHub tokens carry once a repository is customized: GitHub's rule as the sandbox writes it,
// held against the naming rule the stack's deploy role trusts.

import { GITHUB_SUB_CLAIM_KEYS, githubJobSubject } from "@repo/infra/github-naming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGithub, SANDBOX_GITHUB_TOKEN, startGithubApiStandIn } from "../src/github-api";
import { githubClaims } from "../src/github-tokens";

let github: FakeGithub;
beforeAll(async () => {
  github = await startGithubApiStandIn({
    repositories: [
      { owner: "acme", ownerId: 11, name: "keyless", id: 22 },
      { owner: "newco", ownerId: 33, name: "web", id: 44, immutableByDefault: true },
    ],
  });
});
afterAll(() => github.close());

const call = async (method: string, path: string, body?: unknown, token = SANDBOX_GITHUB_TOKEN) => {
  const response = await fetch(`${github.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/vnd.github+json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};
const SUB = "/repos/acme/keyless/actions/oidc/customization/sub";

describe("the sandbox's GitHub API: a repository's OIDC subject customization", () => {
  it("starts with GitHub's default sub, and names the prefix GitHub writes", async () => {
    expect(await call("GET", SUB)).toEqual({
      status: 200,
      body: {
        use_default: true,
        use_immutable_subject: false,
        sub_claim_prefix: "repo:acme/keyless",
      },
    });
    expect(
      (await call("GET", "/repos/newco/web/actions/oidc/customization/sub")).body,
    ).toMatchObject({
      sub_claim_prefix: "repo:newco@33/web@44",
    });
  });

  it("takes the claim keys with PUT (201, an empty object) and lists them after", async () => {
    const keys = [...GITHUB_SUB_CLAIM_KEYS];
    expect(await call("PUT", SUB, { use_default: false, include_claim_keys: keys })).toEqual({
      status: 201,
      body: {},
    });
    expect((await call("GET", SUB)).body).toEqual({
      use_default: false,
      include_claim_keys: keys,
      use_immutable_subject: false,
      sub_claim_prefix: "repo:acme/keyless",
    });
    // The opt-in to immutable subjects moves the prefix to the ids.
    await call("PUT", SUB, { use_default: false, use_immutable_subject: true });
    expect((await call("GET", SUB)).body).toMatchObject({
      include_claim_keys: keys,
      sub_claim_prefix: "repo:acme@11/keyless@22",
    });
    await call("PUT", SUB, { use_default: true, use_immutable_subject: false });
    expect((await call("GET", SUB)).body).toMatchObject({ use_default: true });
  });

  it("answers as GitHub does to a bad token, an unknown repository and a body it refuses", async () => {
    expect(await call("GET", SUB, undefined, "wrong")).toMatchObject({
      status: 401,
      body: { message: "Bad credentials", status: "401" },
    });
    expect(await call("GET", "/repos/acme/other/actions/oidc/customization/sub")).toMatchObject({
      status: 404,
      body: { message: "Not Found" },
    });
    for (const bad of [
      { include_claim_keys: ["repo"] },
      { use_default: false, include_claim_keys: ["job-workflow-ref"] },
      { use_default: false, include_claim_keys: ["repo", "repo"] },
    ]) {
      const answer = await call("PUT", SUB, bad);
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ message: expect.stringContaining("Invalid request.") });
    }
  });
});

describe("the sub of the sandbox's GitHub tokens", () => {
  it("follows the claim keys in order, as GitHub writes a customized sub", () => {
    const sub = (claimKeys?: readonly string[], extra = {}) =>
      githubClaims({ repository: "acme/keyless", claimKeys, ...extra }).sub;
    expect(sub()).toBe("repo:acme/keyless:ref:refs/heads/main");
    expect(sub(["repository_owner", "context"], { environment: "prod:eu" })).toBe(
      "repository_owner:acme:environment:prod%3Aeu",
    );
  });

  it("agrees with the stack's naming rule for the claim keys `pnpm github:oidc` sets", () => {
    const jobs = [
      { branch: "main" },
      { branch: "release", environment: "production" },
      { branch: "main", workflow: ".github/workflows/chatops.yml" },
      { branch: "main", pullRequest: true },
    ];
    for (const repository of ["acme/keyless", "acme@11/keyless@22"]) {
      for (const job of jobs) {
        const ref = `refs/heads/${job.branch}`;
        const expected = githubJobSubject(
          repository,
          {
            ref,
            environment: job.environment,
            pullRequest: job.pullRequest,
            workflow: { path: job.workflow ?? ".github/workflows/deploy.yml", ref },
          },
          "workflow",
        );
        expect(githubClaims({ repository, ...job, claimKeys: GITHUB_SUB_CLAIM_KEYS }).sub).toBe(
          expected,
        );
      }
    }
  });
});
