// The Vercel project settings Keyless needs besides its variables, decided from what the project
// has now: OIDC federation on, with the issuer mode the stack trusts (Settings → Security), the
// root directory of the app (Settings → Build and Deployment), and the Node.js version the app's
// `engines` names. Pure: printed in a dry run, applied unchanged as one Update Project call
// (PATCH /v9/projects/{idOrName}, fields as documented: `rootDirectory`, `nodeVersion`,
// `oidcTokenConfig: { enabled, issuerMode }`). The pinned pnpm is the one setting with no project
// field: Vercel uses `packageManager` only with ENABLE_EXPERIMENTAL_COREPACK=1 among the project's
// variables, which vercel-env-plan.ts manages with the others.

import type { VercelIssuerMode } from "@repo/infra/vercel-naming";

/** Where the Next.js app lives in this repository: the project's root directory. */
export const WEB_APP_DIRECTORY = "apps/web";

export interface VercelOidcTokenConfig {
  readonly enabled: boolean;
  /** Absent when the project reports none this code knows. */
  readonly issuerMode?: VercelIssuerMode;
}

/** The settings this plan manages, as GET /v9/projects/{idOrName} returns them (null: unset). */
export interface VercelProjectSettings {
  readonly rootDirectory: string | null;
  readonly nodeVersion: string | null;
  readonly oidcTokenConfig: VercelOidcTokenConfig | null;
}

export type SettingField = keyof VercelProjectSettings;

export interface SettingChange {
  readonly field: SettingField;
  /** As the dashboard names it, for the plan and for verify's fix. */
  readonly label: string;
  /** What the project has; undefined when it was not read (no token). */
  readonly from?: string;
  readonly to: string;
  readonly body: Partial<VercelProjectSettings>;
}

const LABELS: Record<SettingField, string> = {
  oidcTokenConfig: "OIDC federation (Settings → Security)",
  rootDirectory: "Root Directory (Settings → Build and Deployment)",
  nodeVersion: "Node.js Version (Settings → Build and Deployment)",
};

/** The Node.js line Vercel takes (`24.x`) from an `engines.node` range such as `24.x` or `>=24`. */
export function nodeVersionFromEngines(range: string | undefined): string | undefined {
  const major = /(\d+)/.exec(range ?? "")?.[1];
  return major ? `${major}.x` : undefined;
}

export function desiredProjectSettings(options: {
  issuerMode: VercelIssuerMode;
  nodeVersion: string;
  rootDirectory?: string;
}): VercelProjectSettings {
  return {
    rootDirectory: options.rootDirectory ?? WEB_APP_DIRECTORY,
    nodeVersion: options.nodeVersion,
    oidcTokenConfig: { enabled: true, issuerMode: options.issuerMode },
  };
}

const describe = (field: SettingField, settings: VercelProjectSettings): string => {
  if (field === "oidcTokenConfig") {
    const oidc = settings.oidcTokenConfig;
    return oidc?.enabled ? `on, issuer mode ${oidc.issuerMode ?? "not reported"}` : "off";
  }
  return settings[field] ?? "(not set)";
};

// Vercel stores a root directory without "./" or a trailing slash; compare the same way.
const normalDirectory = (value: string | null) =>
  (value ?? "").replace(/^\.\/+/, "").replace(/\/+$/, "");

const matches = (
  field: SettingField,
  current: VercelProjectSettings,
  desired: VercelProjectSettings,
) => {
  switch (field) {
    case "rootDirectory":
      return normalDirectory(current.rootDirectory) === normalDirectory(desired.rootDirectory);
    case "nodeVersion":
      return current.nodeVersion === desired.nodeVersion;
    case "oidcTokenConfig":
      return (
        current.oidcTokenConfig?.enabled === true &&
        current.oidcTokenConfig.issuerMode === desired.oidcTokenConfig?.issuerMode
      );
  }
};

const FIELDS: readonly SettingField[] = ["oidcTokenConfig", "rootDirectory", "nodeVersion"];

/**
 * The settings to change. With no `current` (no token to read the project with) every desired
 * setting is listed, without a `from`: the caller says it could not compare.
 */
export function planProjectSettings(
  current: VercelProjectSettings | undefined,
  desired: VercelProjectSettings,
): SettingChange[] {
  return FIELDS.filter((field) => !current || !matches(field, current, desired)).map((field) => ({
    field,
    label: LABELS[field],
    ...(current ? { from: describe(field, current) } : {}),
    to: describe(field, desired),
    body: { [field]: desired[field] },
  }));
}

/** One Update Project body for all the changes. */
export function updateBody(changes: readonly SettingChange[]): Partial<VercelProjectSettings> {
  return Object.assign({}, ...changes.map((change) => change.body));
}

export function formatSettingsPlan(changes: readonly SettingChange[]): string {
  if (changes.length === 0)
    return "  = keep    project settings (OIDC federation, root directory, Node.js version)";
  return changes
    .map(
      (change) =>
        `  ~ set     ${change.label}: ${change.to}${change.from !== undefined ? ` (was ${change.from})` : ""}`,
    )
    .join("\n");
}
