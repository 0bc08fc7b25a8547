import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse, populate } from "dotenv";

export interface LoadedEnvFiles {
  /** Files whose values were added to the environment, relative to the workspace root. */
  files: string[];
}

type MutableEnv = Record<string, string | undefined>;

/**
 * Loads the one file users edit — the workspace-root `.env` — and, when that and the process
 * environment configure no AWS at all, the local sandbox's generated `.sandbox/app.env`.
 * Values already in the process environment always win (Vercel, CI, the shell). On Vercel
 * (`VERCEL=1`) neither file is read: the project's variables are the whole configuration, and a
 * `.env` or sandbox file that slipped into a deployment must not change it.
 */
export function loadWorkspaceEnv(
  workspaceRoot: string,
  env: MutableEnv = process.env,
): LoadedEnvFiles {
  const files: string[] = [];
  if (env.VERCEL === "1") return { files };
  // Decided before .env is read: the sandbox never reads KEYLESS_SANDBOX_DIR from it either.
  const sandboxEnv = sandboxAppEnvFile(workspaceRoot, env);
  if (mergeEnvFile(join(workspaceRoot, ".env"), env)) files.push(".env");

  const awsConfigured = Boolean(env.AWS_ROLE_ARN || env.AWS_PROFILE);
  if (!awsConfigured && mergeEnvFile(sandboxEnv, env)) {
    files.push(relative(workspaceRoot, sandboxEnv));
  }
  return { files };
}

/**
 * The running sandbox's app.env: in its state folder, `.sandbox/` or KEYLESS_SANDBOX_DIR — the
 * sandbox's own rule (infra/sandbox/src/state.ts), which the app may not import.
 */
export function sandboxAppEnvFile(workspaceRoot: string, env: MutableEnv = process.env): string {
  return join(resolve(workspaceRoot, env.KEYLESS_SANDBOX_DIR?.trim() || ".sandbox"), "app.env");
}

/** apps/web lives two levels below the workspace root. */
export function workspaceRootFrom(appDir: string): string {
  return resolve(appDir, "..", "..");
}

function mergeEnvFile(path: string, env: MutableEnv): boolean {
  if (!existsSync(path)) return false;
  // Empty values in a file mean "not set", like an unset variable, so a blank template line
  // (AWS_PROFILE=) does not count as configuration.
  const parsed = Object.fromEntries(
    Object.entries(parse(readFileSync(path))).filter(([, value]) => value !== ""),
  );
  populate(env, parsed, { override: false });
  return true;
}
