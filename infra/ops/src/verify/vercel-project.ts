// Check `vercel-project` (pnpm verify --vercel): the Vercel project has the settings and the
// Corepack switch `pnpm vercel:env --apply` gives it — OIDC federation on in the stack's issuer
// mode, the app's root directory, its Node.js version, ENABLE_EXPERIMENTAL_COREPACK for every
// configured environment. Read through the same API client as vercel:env; decided by the same
// pure plan, so the two can never disagree about what "configured" means.

import { UsageError } from "@repo/infra/cli";
import type { InfraConfig, InfraEnv } from "@repo/infra/config";
import { isStandardEnvironment } from "@repo/infra/vercel-naming";
import { DEFAULT_VERCEL_API_URL, type ListedVercelEnvVar, VercelEnvApi } from "../setup/vercel-api";
import {
  desiredProjectSettings,
  planProjectSettings,
  type VercelProjectSettings,
} from "../setup/vercel-project-plan";
import type { CheckResult } from "./types";

export interface VercelProjectFacts {
  project: string;
  settings: VercelProjectSettings;
  variables: readonly ListedVercelEnvVar[];
}

const COREPACK = "ENABLE_EXPERIMENTAL_COREPACK";

export function checkVercelProject(
  facts: VercelProjectFacts | { error: string },
  config: Pick<InfraConfig, "issuerMode" | "environments">,
  nodeVersion: string,
): CheckResult {
  if ("error" in facts) return { name: "vercel-project", ok: false, detail: facts.error };
  const off = planProjectSettings(
    facts.settings,
    desiredProjectSettings({ issuerMode: config.issuerMode, nodeVersion }),
  ).map((change) => `${change.label} is ${change.from}, not ${change.to}`);
  // Built-in environments by name; a custom one's variable is set by id, which vercel:env resolves.
  const withoutCorepack = config.environments.filter(
    (environment) =>
      isStandardEnvironment(environment) &&
      !facts.variables.some(
        (variable) =>
          variable.key === COREPACK &&
          variable.gitBranch === undefined &&
          (variable.target as readonly string[]).includes(environment),
      ),
  );
  if (withoutCorepack.length > 0) {
    off.push(
      `${COREPACK} is not set for ${withoutCorepack.join(", ")}: Vercel would install with the pnpm it picks, not the one packageManager pins`,
    );
  }
  if (off.length === 0) {
    return {
      name: "vercel-project",
      ok: true,
      detail: `${facts.project}: OIDC federation on (${config.issuerMode} issuer), root directory, Node.js ${nodeVersion} and ${COREPACK} as Keyless needs them.`,
    };
  }
  return {
    name: "vercel-project",
    ok: false,
    detail: `${facts.project}: ${off.join("; ")}. Fix: \`pnpm vercel:env --apply\`, then redeploy.`,
  };
}

/** Reads what checkVercelProject needs, with VERCEL_TOKEN; a refusal becomes the check's detail. */
export function vercelProjectReader(config: InfraConfig, env: InfraEnv) {
  const token = env.VERCEL_TOKEN?.trim();
  if (!token) {
    throw new UsageError(
      "--vercel reads the project through Vercel's API: export VERCEL_TOKEN (Vercel → Account Settings → Tokens) and run it again.",
    );
  }
  const api = new VercelEnvApi({
    token,
    baseUrl: env.VERCEL_API_URL || DEFAULT_VERCEL_API_URL,
    project: {
      idOrName: config.projectId ?? config.projectName,
      teamId: config.teamId,
      teamSlug: config.teamSlug,
    },
  });
  return async (): Promise<VercelProjectFacts | { error: string }> => {
    try {
      const [project, variables] = await Promise.all([api.readProject(), api.list()]);
      return { project: api.describeProject(), settings: project.settings, variables };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };
}
