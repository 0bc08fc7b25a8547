// Vercel scopes a variable in two fields: built-in environments by name (`target`), custom
// environments by id (`customEnvironmentIds`). The plan speaks names only (`production`,
// `staging`), as VERCEL_ENVIRONMENTS does; this translates between the two, with the ids the
// project lists (GET /v9/projects/{idOrName}/custom-environments).

import { UsageError } from "@repo/infra/cli";
import { isStandardEnvironment, type VercelEnvironment } from "@repo/infra/vercel-naming";
import type {
  ListedVercelEnvVar,
  VercelCustomEnvironment,
  VercelEnvApi,
  VercelEnvScope,
} from "./vercel-api";
import type { VercelEnvVar } from "./vercel-env-plan";

/** VERCEL_ENVIRONMENTS names a custom environment the Vercel project does not have: exit 2. */
export class MissingCustomEnvironmentError extends UsageError {
  override readonly name = "MissingCustomEnvironmentError";
}

export class EnvironmentNames {
  readonly #idBySlug: ReadonlyMap<string, string>;
  readonly #slugById: ReadonlyMap<string, string>;

  constructor(custom: readonly VercelCustomEnvironment[]) {
    this.#idBySlug = new Map(custom.map((environment) => [environment.slug, environment.id]));
    this.#slugById = new Map(custom.map((environment) => [environment.id, environment.slug]));
  }

  /**
   * The variable with every environment it applies to by name; a custom environment the project
   * did not list (one it deleted, say) keeps its id, so narrowing the variable preserves it.
   */
  named(variable: ListedVercelEnvVar): VercelEnvVar {
    const { customEnvironmentIds, target, ...rest } = variable;
    return {
      ...rest,
      target: [...target, ...customEnvironmentIds.map((id) => this.#slugById.get(id) ?? id)],
    };
  }

  /** Names back to the API's fields; a name that is no listed slug is an id kept by `named`. */
  scope(names: readonly VercelEnvironment[]): VercelEnvScope {
    return {
      target: names.filter(isStandardEnvironment),
      customEnvironmentIds: names
        .filter((name) => !isStandardEnvironment(name))
        .map((name) => this.#idBySlug.get(name) ?? name),
    };
  }
}

/**
 * The names for `configured`, with each custom environment's id from the project. The list is
 * asked for only when a custom environment is configured or a variable carries one, so projects
 * without any make the same requests as before.
 */
export async function resolveEnvironmentNames(
  api: Pick<VercelEnvApi, "customEnvironments" | "describeProject">,
  configured: readonly VercelEnvironment[],
  listed: readonly ListedVercelEnvVar[],
): Promise<EnvironmentNames> {
  const wanted = configured.filter((environment) => !isStandardEnvironment(environment));
  const needed =
    wanted.length > 0 || listed.some((variable) => variable.customEnvironmentIds.length > 0);
  const custom = needed ? await api.customEnvironments() : [];
  const missing = wanted.filter((slug) => !custom.some((environment) => environment.slug === slug));
  if (missing.length > 0) {
    const names = missing.join(", ");
    const has = custom.map((environment) => environment.slug).join(", ") || "none";
    throw new MissingCustomEnvironmentError(
      `VERCEL_ENVIRONMENTS names the custom environment${missing.length > 1 ? "s" : ""} ${names}, but Vercel project ${api.describeProject()} has no such environment (its custom environments: ${has}). Create ${missing.length > 1 ? "them" : "it"} in Vercel → Project → Settings → Environments (Create Environment, named exactly ${names}), then run pnpm vercel:env again.`,
    );
  }
  return new EnvironmentNames(custom);
}
