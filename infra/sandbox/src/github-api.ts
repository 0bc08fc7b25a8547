// The sandbox's GitHub API: a local stand-in for the one REST resource `pnpm github:oidc` and
// `pnpm verify --github` use — a repository's OIDC subject customization
// (GET/PUT /repos/{owner}/{repo}/actions/oidc/customization/sub) — so pinning the deploy role to
// the deploy workflow can be rehearsed offline, and the sandbox's GitHub-shaped tokens carry the
// `sub` the repository's customization says. Shapes as GitHub's OpenAPI description gives them:
// GET 200 `oidc-custom-sub-repo` ({ use_default, include_claim_keys, use_immutable_subject,
// sub_claim_prefix }); PUT body { use_default (required), include_claim_keys, use_immutable_subject },
// 201 with an empty object; errors `basic-error` ({ message, documentation_url, status }) with 401,
// 404, and 422 `validation-error-simple` for a body GitHub refuses.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** The token the sandbox's GitHub API accepts: a placeholder like its AWS keys, no secret. */
export const SANDBOX_GITHUB_TOKEN = "sandbox";

/** What one repository's customization holds, as GitHub stores it. */
export interface FakeSubjectCustomization {
  useDefault: boolean;
  includeClaimKeys: string[];
  useImmutableSubject: boolean;
}

export interface FakeGithubRepository {
  owner: string;
  ownerId: number;
  name: string;
  id: number;
  /** Created after 2026-07-15 (or renamed, transferred): `sub` carries the ids whatever is set. */
  immutableByDefault?: boolean;
}

export interface FakeGithub {
  readonly url: string;
  /** `owner/repo` → its customization, live: PUT changes it, a test may too. */
  readonly customizations: Map<string, FakeSubjectCustomization>;
  /** The repository segment of `sub` (`owner/repo`, or `owner@id/repo@id`) and the claim keys. */
  subjectTemplate(
    repository: string,
  ): { repository: string; claimKeys?: readonly string[] } | undefined;
  close(): Promise<void>;
}

const DOCS = "https://docs.github.com/rest/actions/oidc";

export async function startGithubApiStandIn(options: {
  port?: number;
  token?: string;
  repositories: readonly FakeGithubRepository[];
}): Promise<FakeGithub> {
  const token = options.token ?? SANDBOX_GITHUB_TOKEN;
  const repositories = new Map(
    options.repositories.map((repo) => [`${repo.owner}/${repo.name}`.toLowerCase(), repo]),
  );
  const customizations = new Map<string, FakeSubjectCustomization>();
  const customizationOf = (key: string): FakeSubjectCustomization => {
    let current = customizations.get(key);
    if (!current) {
      current = { useDefault: true, includeClaimKeys: [], useImmutableSubject: false };
      customizations.set(key, current);
    }
    return current;
  };
  const immutable = (repo: FakeGithubRepository) =>
    Boolean(repo.immutableByDefault) || customizationOf(keyOf(repo)).useImmutableSubject;
  const keyOf = (repo: FakeGithubRepository) => `${repo.owner}/${repo.name}`.toLowerCase();
  const segment = (repo: FakeGithubRepository) =>
    immutable(repo)
      ? `${repo.owner}@${repo.ownerId}/${repo.name}@${repo.id}`
      : `${repo.owner}/${repo.name}`;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, message: string) =>
    send(res, status, { message, documentation_url: DOCS, status: String(status) });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const auth = req.headers.authorization ?? "";
    if (auth !== `Bearer ${token}` && auth !== `token ${token}`) {
      return fail(res, 401, "Bad credentials");
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = /^\/repos\/([^/]+)\/([^/]+)\/actions\/oidc\/customization\/sub$/.exec(
      url.pathname,
    );
    const repo = match ? repositories.get(`${match[1]}/${match[2]}`.toLowerCase()) : undefined;
    if (!repo) return fail(res, 404, "Not Found");
    const current = customizationOf(keyOf(repo));
    if (req.method === "GET") {
      return send(res, 200, {
        use_default: current.useDefault,
        ...(current.useDefault ? {} : { include_claim_keys: current.includeClaimKeys }),
        use_immutable_subject: current.useImmutableSubject,
        sub_claim_prefix: `repo:${segment(repo)}`,
      });
    }
    if (req.method === "PUT") {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return fail(res, 400, "Problems parsing JSON");
      }
      const problem = customizationProblem(body);
      if (problem) {
        return send(res, 422, { message: problem, documentation_url: DOCS, errors: [problem] });
      }
      const change = body as {
        use_default: boolean;
        include_claim_keys?: string[];
        use_immutable_subject?: boolean;
      };
      current.useDefault = change.use_default;
      if (!change.use_default && change.include_claim_keys) {
        current.includeClaimKeys = [...change.include_claim_keys];
      }
      if (change.use_immutable_subject !== undefined) {
        current.useImmutableSubject = change.use_immutable_subject;
      }
      return send(res, 201, {});
    }
    return fail(res, 404, "Not Found");
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, 500, String(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (!address || typeof address !== "object")
    throw new Error("the GitHub API stand-in has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    customizations,
    subjectTemplate(repository) {
      const plain = repository.replace(/@\d+/g, "").toLowerCase();
      const repo = repositories.get(plain);
      if (!repo) return undefined;
      const current = customizationOf(keyOf(repo));
      return {
        repository: segment(repo),
        claimKeys: current.useDefault ? undefined : current.includeClaimKeys,
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

/** Why GitHub refuses a PUT body (the OpenAPI schema's rules), or undefined. */
function customizationProblem(body: unknown): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return "Invalid request.\n\nFor 'properties/use_default', nil is not a boolean.";
  }
  const change = body as Record<string, unknown>;
  if (typeof change.use_default !== "boolean") {
    return `Invalid request.\n\nFor 'properties/use_default', ${JSON.stringify(change.use_default ?? null)} is not a boolean.`;
  }
  if (change.include_claim_keys !== undefined) {
    const keys = change.include_claim_keys;
    if (!Array.isArray(keys) || keys.some((key) => typeof key !== "string")) {
      return "Invalid request.\n\nFor 'properties/include_claim_keys', it is not an array of strings.";
    }
    const bad = keys.find((key: string) => !/^[A-Za-z0-9_]+$/.test(key));
    if (bad !== undefined) {
      return `Invalid request.\n\n"${bad}": only alphanumeric characters and underscores are allowed in a claim key.`;
    }
    if (new Set(keys).size !== keys.length) {
      return "Invalid request.\n\nFor 'properties/include_claim_keys', the items are not unique.";
    }
  }
  if (
    change.use_immutable_subject !== undefined &&
    typeof change.use_immutable_subject !== "boolean"
  ) {
    return "Invalid request.\n\nFor 'properties/use_immutable_subject', it is not a boolean.";
  }
  return undefined;
}
