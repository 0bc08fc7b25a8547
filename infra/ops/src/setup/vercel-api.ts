// The five Vercel REST endpoints `pnpm vercel:env` needs, called with fetch (a whole SDK for five
// calls would be most of this CLI's install). Shapes as documented at vercel.com/docs/rest-api:
//   GET    /v10/projects/{idOrName}/env           → { envs: [...] } (or { envs, pagination })
//   POST   /v10/projects/{idOrName}/env           body: [{ key, value, type, target, customEnvironmentIds? }]
//                                                 → 201 { created, failed }
//   PATCH  /v9/projects/{idOrName}/env/{id}       body: { value?, type?, target?, customEnvironmentIds? }
//   DELETE /v9/projects/{idOrName}/env/{id}
//   GET    /v9/projects/{idOrName}/custom-environments → { accountLimit, environments: [{ id, slug, type, … }] }
//   GET    /v9/projects/{idOrName}                → the project: { rootDirectory, nodeVersion,
//                                                   oidcTokenConfig, ssoProtection, passwordProtection, … }
//   PATCH  /v9/projects/{idOrName}                body: { rootDirectory?, nodeVersion?, oidcTokenConfig? }
// A variable names built-in environments in `target` and custom ones by id in
// `customEnvironmentIds` (`target` accepts only production/preview/development); the Vercel CLI's
// own `vercel env add` sends both fields the same way.
// Every call carries `Authorization: Bearer <token>` and `teamId` (or `slug`) for team projects.
// The token never appears in a message: errors name the request, never its headers.

import { CommandFailure } from "@repo/infra/cli";
import {
  isStandardEnvironment,
  type StandardVercelEnvironment,
  VERCEL_ISSUER_MODES,
} from "@repo/infra/vercel-naming";
import { requestJson } from "./io";
import type { VercelProjectSettings } from "./vercel-project-plan";

export const DEFAULT_VERCEL_API_URL = "https://api.vercel.com";

export interface VercelProjectRef {
  /** prj_… id or the project name. */
  readonly idOrName: string;
  /** team_… id; preferred over the slug. */
  readonly teamId?: string;
  readonly teamSlug?: string;
}

/** A refusal or failure of Vercel's API, explained: exit 1. */
export class VercelApiError extends CommandFailure {
  override readonly name = "VercelApiError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Where a variable applies, in the API's two fields. */
export interface VercelEnvScope {
  readonly target: readonly StandardVercelEnvironment[];
  /** Custom environments by id (env_…). */
  readonly customEnvironmentIds: readonly string[];
}

/** A project environment variable as the API lists it (target normalised to a list). */
export interface ListedVercelEnvVar extends VercelEnvScope {
  readonly id: string;
  readonly key: string;
  readonly type: string;
  /** Readable only for type "plain". */
  readonly value?: string;
  readonly gitBranch?: string;
}

export interface NewVercelEnvVar {
  readonly key: string;
  readonly value: string;
  readonly type: "plain" | "encrypted" | "sensitive";
  readonly target: readonly StandardVercelEnvironment[];
  readonly customEnvironmentIds?: readonly string[];
}

/** A custom environment of the project (Settings → Environments), e.g. { id: "env_…", slug: "staging" }. */
export interface VercelCustomEnvironment {
  readonly id: string;
  readonly slug: string;
  /** The built-in environment it is modelled on: "production", "preview" or "development". */
  readonly type: string;
}

const isStandard = (value: unknown): value is StandardVercelEnvironment =>
  typeof value === "string" && isStandardEnvironment(value);

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];

/** One listed variable, target normalised (the API answers a list or a single string). */
function toEnvVar(raw: unknown): ListedVercelEnvVar | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const item = raw as Record<string, unknown>;
  if (typeof item.id !== "string" || typeof item.key !== "string") return undefined;
  const targets = Array.isArray(item.target) ? item.target : [item.target];
  return {
    id: item.id,
    key: item.key,
    type: typeof item.type === "string" ? item.type : "unknown",
    value: typeof item.value === "string" ? item.value : undefined,
    target: targets.filter(isStandard),
    gitBranch:
      typeof item.gitBranch === "string" && item.gitBranch !== "" ? item.gitBranch : undefined,
    customEnvironmentIds: strings(item.customEnvironmentIds),
  };
}

function toCustomEnvironment(raw: unknown): VercelCustomEnvironment | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const item = raw as Record<string, unknown>;
  if (typeof item.id !== "string" || typeof item.slug !== "string") return undefined;
  return { id: item.id, slug: item.slug, type: typeof item.type === "string" ? item.type : "" };
}

/** `web (team team_abc)`: a project as messages name it (also for a plan made without the API). */
export function describeProjectRef(project: VercelProjectRef): string {
  const team = project.teamId ?? project.teamSlug;
  return `${project.idOrName}${team ? ` (team ${team})` : " (personal account)"}`;
}

export class VercelEnvApi {
  readonly #token: string;
  readonly #baseUrl: string;
  readonly project: VercelProjectRef;

  constructor(options: { token: string; project: VercelProjectRef; baseUrl?: string }) {
    if (options.token.trim() === "") {
      throw new VercelApiError(
        "VERCEL_TOKEN is empty. Create a token in Vercel → Account Settings → Tokens (scoped to the team) and export it.",
      );
    }
    this.#token = options.token.trim();
    this.#baseUrl = (options.baseUrl ?? DEFAULT_VERCEL_API_URL).replace(/\/+$/, "");
    this.project = options.project;
  }

  /** Where the project is, for messages: `web (team team_abc)`. */
  describeProject(): string {
    return describeProjectRef(this.project);
  }

  async list(): Promise<ListedVercelEnvVar[]> {
    const body = await this.#call("GET", `/v10/projects/${this.#project()}/env`);
    const envs = (body as { envs?: unknown }).envs;
    const items = Array.isArray(envs) ? envs : [body];
    return items.map(toEnvVar).filter((v): v is ListedVercelEnvVar => v !== undefined);
  }

  /**
   * The project's custom environments. Call after list(): the project exists then, so a 404 here
   * means "none" (Vercel's own CLI reads it the same way).
   */
  async customEnvironments(): Promise<VercelCustomEnvironment[]> {
    let body: unknown;
    try {
      body = await this.#call("GET", `/v9/projects/${this.#project()}/custom-environments`);
    } catch (error) {
      if (error instanceof VercelApiError && error.status === 404) return [];
      throw error;
    }
    const environments = (body as { environments?: unknown }).environments;
    return (Array.isArray(environments) ? environments : [])
      .map(toCustomEnvironment)
      .filter((e): e is VercelCustomEnvironment => e !== undefined);
  }

  async create(variables: readonly NewVercelEnvVar[]): Promise<void> {
    if (variables.length === 0) return;
    const body = (await this.#call("POST", `/v10/projects/${this.#project()}/env`, variables)) as {
      failed?: { error?: { code?: string; message?: string; key?: string } }[];
    };
    const failed = body.failed ?? [];
    if (failed.length > 0) {
      const reasons = failed.map(
        (f) => `${f.error?.key ?? "?"}: ${f.error?.message ?? f.error?.code ?? "failed"}`,
      );
      throw new VercelApiError(
        `Vercel did not create ${failed.length} variable(s): ${reasons.join("; ")}`,
        undefined,
        failed[0]?.error?.code,
      );
    }
  }

  async edit(
    id: string,
    change: {
      value?: string;
      type?: NewVercelEnvVar["type"];
      target?: readonly StandardVercelEnvironment[];
      customEnvironmentIds?: readonly string[];
    },
  ): Promise<void> {
    await this.#call(
      "PATCH",
      `/v9/projects/${this.#project()}/env/${encodeURIComponent(id)}`,
      change,
    );
  }

  async remove(id: string): Promise<void> {
    await this.#call("DELETE", `/v9/projects/${this.#project()}/env/${encodeURIComponent(id)}`);
  }

  #project(): string {
    return encodeURIComponent(this.project.idOrName);
  }

  /**
   * The settings vercel:env manages (vercel-project-plan.ts) and the project's Deployment
   * Protection: Vercel Authentication (`ssoProtection`) and Password Protection, each
   * `{ deploymentType }` or null when off (the Vercel CLI's `project protection` writes the same
   * fields).
   */
  async readProject(): Promise<{
    settings: VercelProjectSettings;
    protection: { sso: string | null; password: string | null };
  }> {
    const body = (await this.#call("GET", `/v9/projects/${this.#project()}`)) as {
      rootDirectory?: unknown;
      nodeVersion?: unknown;
      oidcTokenConfig?: { enabled?: unknown; issuerMode?: unknown } | null;
      ssoProtection?: { deploymentType?: string } | null;
      passwordProtection?: { deploymentType?: string } | null;
    };
    const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
    const oidc = body.oidcTokenConfig;
    const issuerMode = VERCEL_ISSUER_MODES.find((mode) => mode === oidc?.issuerMode);
    return {
      settings: {
        rootDirectory: text(body.rootDirectory),
        nodeVersion: text(body.nodeVersion),
        // A mode this code does not know (or none) reads as not the stack's: the plan sets it.
        oidcTokenConfig: oidc
          ? { enabled: oidc.enabled === true, ...(issuerMode ? { issuerMode } : {}) }
          : null,
      },
      protection: {
        sso: body.ssoProtection?.deploymentType ?? null,
        password: body.passwordProtection?.deploymentType ?? null,
      },
    };
  }

  async updateProject(change: Partial<VercelProjectSettings>): Promise<void> {
    if (Object.keys(change).length === 0) return;
    await this.#call("PATCH", `/v9/projects/${this.#project()}`, change);
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = new URL(`${this.#baseUrl}${path}`);
    if (this.project.teamId) url.searchParams.set("teamId", this.project.teamId);
    else if (this.project.teamSlug) url.searchParams.set("slug", this.project.teamSlug);
    const what = `${method} ${url.pathname}`;
    const { response, body: parsed } = await requestJson(
      url,
      {
        method,
        headers: { Authorization: `Bearer ${this.#token}`, Accept: "application/json" },
        body,
      },
      (cause) =>
        new VercelApiError(
          `Could not reach the Vercel API at ${url.origin} (${what}): ${this.#redact(cause)}`,
        ),
    );
    if (!response.ok) throw this.#explain(response.status, parsed, what);
    if (parsed === undefined) {
      throw new VercelApiError(`Vercel answered ${what} with something that is not JSON`);
    }
    return parsed;
  }

  #explain(status: number, body: unknown, what: string): VercelApiError {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === "string" ? error.code : undefined;
    const detail = this.#redact(
      typeof error?.message === "string" ? error.message : `HTTP ${status}`,
    );
    const hint =
      status === 401 || status === 403
        ? `VERCEL_TOKEN was refused, or cannot reach this project. Create a token with access to the team in Vercel → Account Settings → Tokens${this.project.teamId ? "" : ", and set VERCEL_TEAM_ID (team_…) in .env for a team project"}.`
        : status === 404
          ? `Project ${this.describeProject()} not found: check VERCEL_PROJECT_ID / VERCEL_PROJECT_NAME and VERCEL_TEAM_ID in .env.`
          : status === 429
            ? "Rate limited by Vercel: wait a minute and run it again."
            : "";
    return new VercelApiError(
      `Vercel API ${what} failed: ${status}${code ? ` ${code}` : ""} — ${detail}.${hint ? ` ${hint}` : ""}`,
      status,
      code,
    );
  }

  /** Belt and braces: whatever the server or the network says, the token is never repeated. */
  #redact(text: string): string {
    return text.split(this.#token).join("[VERCEL_TOKEN]");
  }
}
