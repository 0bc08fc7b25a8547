// Which app `aws-auth doctor` diagnoses, and the environment that app would have. Run from the
// app's folder, it is that app; run from a workspace root (as the README says), it is the one app
// under apps/ that depends on this package — so doctor sees the same `.env*` files the app
// reads: the app's own in Next.js's order, then the workspace root's (the template's app merges
// the root `.env` under its own), with the process environment above them all.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "dotenv";
import { envFileFolders, envFileNames } from "./local-tokens";
import type { EnvLike } from "./types";

const NEXT_CONFIGS = ["next.config.ts", "next.config.mjs", "next.config.js", "next.config.cjs"];

/** This package's name, as an app's package.json names it among its dependencies. */
function ownPackageName(): string {
  const manifest = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { name: string }).name;
}

const isNextApp = (dir: string) => NEXT_CONFIGS.some((name) => existsSync(join(dir, name)));

function dependsOn(dir: string, name: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<
      string,
      Record<string, string> | undefined
    >;
    return Boolean(manifest.dependencies?.[name] ?? manifest.devDependencies?.[name]);
  } catch {
    return false;
  }
}

export interface AppLocation {
  /** The app's folder (absolute). */
  dir: string;
  /** The workspace root above it (absolute): the app's folder when it stands alone. */
  root: string;
}

/**
 * The app to diagnose from `cwd`: `cwd` itself when it is a Next.js app (or `appDir` when given),
 * else the only app under the workspace's apps/ that depends on this package. Undefined when
 * there is none, or several (name one with --app).
 */
export function findApp(
  cwd: string,
  appDir?: string,
): AppLocation | undefined | { several: string[] } {
  const folders = envFileFolders(cwd);
  const root = folders[folders.length - 1] ?? cwd;
  if (appDir)
    return { dir: join(cwd, appDir), root: envFileFolders(join(cwd, appDir)).at(-1) ?? cwd };
  if (isNextApp(cwd)) return { dir: cwd, root };
  const apps = join(root, "apps");
  if (!existsSync(apps)) return undefined;
  const name = ownPackageName();
  const found = readdirSync(apps, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(apps, entry.name))
    .filter((dir) => isNextApp(dir) && dependsOn(dir, name));
  if (found.length === 1 && found[0]) return { dir: found[0], root };
  if (found.length > 1) return { several: found.map((dir) => relative(cwd, dir)) };
  return undefined;
}

/** The environment the app would start with in development, and the files it came from. */
export function appEnvironment(
  app: AppLocation,
  base: EnvLike,
  cwd: string,
): { env: EnvLike; files: string[] } {
  const env: Record<string, string | undefined> = { ...base };
  const files: string[] = [];
  const nodeEnv = base.NODE_ENV ?? "development";
  const folders = app.dir === app.root ? [app.dir] : [app.dir, app.root];
  for (const folder of folders) {
    for (const name of envFileNames(nodeEnv)) {
      const path = join(folder, name);
      if (!existsSync(path)) continue;
      // First wins, as in Next.js; a blank value is "not set" (as the template's root .env).
      for (const [key, value] of Object.entries(parse(readFileSync(path)))) {
        if (env[key] === undefined && value !== "") env[key] = value;
      }
      files.push(relative(cwd, path) || name);
    }
  }
  return { env, files };
}
