// The sandbox's Vercel API: a local stand-in for the Vercel REST endpoints `pnpm vercel:env` and
// `pnpm verify --vercel` call, so the set-up can be rehearsed offline (`--sandbox`), and the fake
// Vercel of the tests. It speaks their
// documented shapes (vercel.com/docs/rest-api, projects → environment variables, environment →
// retrieve custom environments): bearer auth, `teamId` (or `slug`) query, `{ envs }` listings,
// `{ created, failed }` from POST, the variable itself from PATCH and DELETE,
// `{ accountLimit, environments }` for custom environments, the project from GET and PATCH
// /v9/projects/{idOrName} (Update Project: `rootDirectory`, `nodeVersion`, `oidcTokenConfig`
// checked as the API documents them), `{ error: { code, message } }` on failure. Like Vercel, `target` takes only the built-in environments; a custom environment is
// addressed by its id in `customEnvironmentIds`.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface FakeEnvVar {
  id: string;
  key: string;
  value: string;
  type: "plain" | "encrypted" | "sensitive" | "system" | "secret";
  target: string[];
  /** Custom environments by id (env_…); empty for the built-in ones. */
  customEnvironmentIds: string[];
  gitBranch?: string;
  configurationId: null;
  createdAt: number;
  updatedAt: number;
}

/** A custom environment as GET /v9/projects/{idOrName}/custom-environments lists it. */
export interface FakeCustomEnvironment {
  id: string;
  slug: string;
  type: "production" | "preview" | "development";
  description: string;
  branchMatcher?: { type: "equals" | "startsWith" | "endsWith"; pattern: string };
  domains: unknown[];
  currentDeploymentAliases: string[];
  createdAt: number;
  updatedAt: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** The project settings vercel:env manages, as Vercel stores them. */
export interface FakeProjectSettings {
  rootDirectory: string | null;
  nodeVersion: string;
  oidcTokenConfig: { enabled: boolean; issuerMode: "team" | "global" };
}

export interface FakeVercel {
  readonly url: string;
  /** Live: PATCH changes it, a test may too. */
  readonly settings: FakeProjectSettings;
  readonly envs: FakeEnvVar[];
  readonly customEnvironments: readonly FakeCustomEnvironment[];
  readonly requests: RecordedRequest[];
  /** Next response to any request, once (e.g. 500, or a message echoing the token). */
  failNext(status: number, error: { code: string; message: string }): void;
  close(): Promise<void>;
}

const TYPES = ["plain", "encrypted", "sensitive"];
const TARGETS = ["production", "preview", "development"];

export const newEnvId = () => randomBytes(8).toString("base64url");

export type FakeEnvSeed = Omit<
  FakeEnvVar,
  "id" | "configurationId" | "createdAt" | "updatedAt" | "customEnvironmentIds"
> & { customEnvironmentIds?: string[] };

/** A variable as Vercel stores it (the fields the API adds), from the fields a test cares about. */
export function storedEnv(seed: FakeEnvSeed & { id?: string }, time = Date.now()): FakeEnvVar {
  return {
    customEnvironmentIds: [],
    ...seed,
    id: seed.id ?? newEnvId(),
    configurationId: null,
    createdAt: time,
    updatedAt: time,
  };
}

export async function startFakeVercel(options: {
  token: string;
  /** 0 or unset: a free port (always on 127.0.0.1). */
  port?: number;
  teamId: string;
  teamSlug: string;
  project: { id: string; name: string };
  envs?: FakeEnvSeed[];
  /** The project's custom environments by slug (each gets an env_… id), e.g. ["staging"]. */
  customEnvironments?: string[];
  /** Vercel Authentication as GET /v9/projects/{idOrName} reports it; null = off. Default: on for previews, as Vercel makes new projects. */
  ssoProtection?: { deploymentType: string } | null;
  /** Default: a project configured as vercel:env leaves it (OIDC on in team mode, apps/web, 24.x). */
  settings?: Partial<FakeProjectSettings>;
}): Promise<FakeVercel> {
  const settings: FakeProjectSettings = {
    rootDirectory: "apps/web",
    nodeVersion: "24.x",
    oidcTokenConfig: { enabled: true, issuerMode: "team" },
    ...options.settings,
  };
  const now = Date.now();
  const envs: FakeEnvVar[] = (options.envs ?? []).map((env) => storedEnv(env, now));
  const customEnvironments: FakeCustomEnvironment[] = (options.customEnvironments ?? []).map(
    (slug) => ({
      id: `env_${randomBytes(12).toString("hex")}`,
      slug,
      type: "preview",
      description: "",
      domains: [],
      currentDeploymentAliases: [],
      createdAt: now,
      updatedAt: now,
    }),
  );
  const requests: RecordedRequest[] = [];
  let nextFailure: { status: number; error: { code: string; message: string } } | undefined;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { error: { code, message } });

  const overlaps = (
    a: FakeEnvVar,
    key: string,
    scope: { target: string[]; customEnvironmentIds: string[] },
    gitBranch?: string,
    except?: string,
  ) =>
    a.id !== except &&
    a.key === key &&
    (a.gitBranch ?? "") === (gitBranch ?? "") &&
    (a.target.some((t) => scope.target.includes(t)) ||
      a.customEnvironmentIds.some((id) => scope.customEnvironmentIds.includes(id)));

  /** Vercel lists encrypted values as ciphertext; only plain values read back as set. */
  const listed = (env: FakeEnvVar) =>
    env.type === "plain"
      ? env
      : { ...env, value: `enc:${Buffer.from(env.value).toString("base64")}` };

  /** The scope in a POST or PATCH body, or a reason to refuse it: `target` holds built-in
   * environments only, `customEnvironmentIds` ids of this project's custom environments, and a
   * variable applies to at least one environment. */
  const scopeOf = (
    body: Record<string, unknown>,
    current?: FakeEnvVar,
  ): { target: string[]; customEnvironmentIds: string[] } | string => {
    const target = body.target ?? current?.target;
    const ids = body.customEnvironmentIds ?? current?.customEnvironmentIds ?? [];
    if (!Array.isArray(target) || !target.every((t) => TARGETS.includes(t))) {
      return "Invalid `target`: production, preview or development (a custom environment goes in `customEnvironmentIds`)";
    }
    if (!Array.isArray(ids) || !ids.every((id) => customEnvironments.some((e) => e.id === id))) {
      return "Invalid `customEnvironmentIds`: not a custom environment of this project";
    }
    if (target.length + ids.length === 0) return "Missing `target`";
    return { target, customEnvironmentIds: ids };
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      return fail(res, 400, "bad_request", "Invalid JSON body");
    }
    requests.push({
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
    });

    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return fail(res, 403, "forbidden", "Not authorized");
    }
    if (nextFailure) {
      const failure = nextFailure;
      nextFailure = undefined;
      return fail(res, failure.status, failure.error.code, failure.error.message);
    }
    const team = url.searchParams.get("teamId");
    const slug = url.searchParams.get("slug");
    if (team !== options.teamId && slug !== options.teamSlug) {
      return fail(res, 404, "not_found", "Project not found");
    }
    const projectOnly = /^\/v9\/projects\/([^/]+)$/.exec(url.pathname);
    if (projectOnly && (req.method === "GET" || req.method === "PATCH")) {
      const name = decodeURIComponent(projectOnly[1] ?? "");
      if (name !== options.project.id && name !== options.project.name) {
        return fail(res, 404, "not_found", "Project not found");
      }
      if (req.method === "PATCH") {
        const problem = settingsProblem(body);
        if (problem) return fail(res, 400, "bad_request", problem);
        Object.assign(settings, body);
      }
      // The fields vercel:env reads, shaped as Vercel returns them (the rest of a project omitted).
      return send(res, 200, {
        id: options.project.id,
        name: options.project.name,
        accountId: options.teamId,
        framework: "nextjs",
        ...settings,
        ssoProtection:
          options.ssoProtection === undefined
            ? { deploymentType: "prod_deployment_urls_and_all_previews" }
            : options.ssoProtection,
        passwordProtection: null,
      });
    }
    const match =
      /^\/v10\/projects\/([^/]+)\/env$/.exec(url.pathname) ??
      /^\/v9\/projects\/([^/]+)\/env\/([^/]+)$/.exec(url.pathname) ??
      /^\/v9\/projects\/([^/]+)\/(custom-environments)$/.exec(url.pathname);
    const project = match?.[1] ? decodeURIComponent(match[1]) : undefined;
    if (!match || (project !== options.project.id && project !== options.project.name)) {
      return fail(res, 404, "not_found", "Project not found");
    }
    if (match[2] === "custom-environments") {
      if (req.method !== "GET") return fail(res, 405, "method_not_allowed", "Method not allowed");
      return send(res, 200, { accountLimit: { total: 12 }, environments: customEnvironments });
    }
    const id = match[2] ? decodeURIComponent(match[2]) : undefined;
    const isList = url.pathname.startsWith("/v10/");

    if (isList && req.method === "GET") return send(res, 200, { envs: envs.map(listed) });

    if (isList && req.method === "POST") {
      const items = Array.isArray(body) ? body : [body];
      const created: FakeEnvVar[] = [];
      const failed: unknown[] = [];
      for (const item of items as Record<string, unknown>[]) {
        const { key, value, type, gitBranch } = item ?? {};
        if (
          typeof key !== "string" ||
          typeof value !== "string" ||
          !TYPES.includes(type as string)
        ) {
          return fail(
            res,
            400,
            "bad_request",
            "Invalid request: `key`, `value`, `type` and `target` are required",
          );
        }
        const scope = scopeOf(item);
        if (typeof scope === "string") return fail(res, 400, "bad_request", scope);
        const { target } = scope;
        const branch = typeof gitBranch === "string" ? gitBranch : undefined;
        if (envs.some((e) => overlaps(e, key, scope, branch))) {
          failed.push({
            error: {
              code: "ENV_CONFLICT",
              message: `A variable with the name "${key}" already exists for the target`,
              key,
              target,
            },
          });
          continue;
        }
        const env: FakeEnvVar = {
          id: newEnvId(),
          key,
          value,
          type: type as FakeEnvVar["type"],
          target,
          customEnvironmentIds: scope.customEnvironmentIds,
          ...(branch ? { gitBranch: branch } : {}),
          configurationId: null,
          createdAt: Date.now(),
          updatedAt: Date.now(),
        };
        envs.push(env);
        created.push(env);
      }
      return send(res, 201, {
        created: Array.isArray(body) ? created : (created[0] ?? {}),
        failed,
      });
    }

    const index = envs.findIndex((e) => e.id === id);
    const env = envs[index];
    if (!env) return fail(res, 404, "not_found", "Environment Variable was not found");

    if (req.method === "PATCH") {
      const change = (body ?? {}) as Record<string, unknown>;
      if (change.target !== undefined || change.customEnvironmentIds !== undefined) {
        const scope = scopeOf(change, env);
        if (typeof scope === "string") return fail(res, 400, "bad_request", scope);
        if (envs.some((e) => overlaps(e, env.key, scope, env.gitBranch, env.id))) {
          return fail(
            res,
            400,
            "ENV_CONFLICT",
            "Another variable with this name targets that environment",
          );
        }
        env.target = scope.target;
        env.customEnvironmentIds = scope.customEnvironmentIds;
      }
      if (change.value !== undefined) {
        if (typeof change.value !== "string")
          return fail(res, 400, "bad_request", "Invalid `value`");
        env.value = change.value;
      }
      if (change.type !== undefined) {
        if (!TYPES.includes(change.type as string))
          return fail(res, 400, "bad_request", "Invalid `type`");
        env.type = change.type as FakeEnvVar["type"];
      }
      env.updatedAt = Date.now();
      return send(res, 200, listed(env));
    }
    if (req.method === "DELETE") {
      envs.splice(index, 1);
      return send(res, 200, listed(env));
    }
    return fail(res, 405, "method_not_allowed", "Method not allowed");
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, 500, "internal", String(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("the fake Vercel API has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    settings,
    envs,
    customEnvironments,
    requests,
    failNext(status, error) {
      nextFailure = { status, error };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// Node.js lines the Update Project endpoint accepts (its `nodeVersion` enum, current lines).
const NODE_VERSIONS = ["24.x", "22.x", "20.x"];

/** Why an Update Project body is refused, for the fields this fake stores; undefined if fine. */
function settingsProblem(body: unknown): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return "Invalid request: the body must be an object";
  }
  const change = body as Record<string, unknown>;
  const known = ["rootDirectory", "nodeVersion", "oidcTokenConfig"];
  const unknown = Object.keys(change).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    return `Invalid request: should NOT have additional property \`${unknown[0]}\``;
  if ("rootDirectory" in change && change.rootDirectory !== null) {
    if (typeof change.rootDirectory !== "string" || change.rootDirectory.length > 256) {
      return "Invalid request: `rootDirectory` should be string, at most 256 characters";
    }
  }
  if ("nodeVersion" in change && !NODE_VERSIONS.includes(change.nodeVersion as string)) {
    return `Invalid request: \`nodeVersion\` should be equal to one of the allowed values "${NODE_VERSIONS.join('", "')}"`;
  }
  if ("oidcTokenConfig" in change) {
    const oidc = change.oidcTokenConfig as Record<string, unknown> | null;
    if (
      oidc === null ||
      typeof oidc !== "object" ||
      typeof oidc.enabled !== "boolean" ||
      !["team", "global"].includes(oidc.issuerMode as string)
    ) {
      return 'Invalid request: `oidcTokenConfig` should be { enabled: boolean, issuerMode: "team" | "global" }';
    }
  }
  return undefined;
}

/** The sandbox's stand-in is started under this name; the tests' fake Vercel is the same server. */
export const startVercelApiStandIn = startFakeVercel;

/** The token the sandbox's Vercel API accepts: a placeholder like its AWS keys, no secret. */
export const SANDBOX_VERCEL_TOKEN = "sandbox";
