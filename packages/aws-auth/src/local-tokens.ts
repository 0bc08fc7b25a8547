// Stale development tokens: `vercel env pull` writes VERCEL_OIDC_TOKEN (valid ~12 h) into a
// `.env*` file, and when several files define it the framework reads the one that wins by
// precedence — often an old one (vercel/vercel#13404). This finds which file the token in use
// came from and what the others hold. Reads files; keeps only summaries, never a token.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parse } from "dotenv";
import { summarizeToken } from "./token";
import type { TokenFile } from "./types";

export type { TokenFile } from "./types";

/** Next.js's order (first wins) for one folder; `.env.local` is skipped in test, as Next does. */
export function envFileNames(nodeEnv: string): string[] {
  const mode = nodeEnv === "production" || nodeEnv === "test" ? nodeEnv : "development";
  return [`.env.${mode}.local`, ...(mode === "test" ? [] : [".env.local"]), `.env.${mode}`, ".env"];
}

/** The current folder and its parents up to the workspace root (a pnpm workspace or git root). */
export function envFileFolders(cwd: string): string[] {
  const folders = [cwd];
  let dir = cwd;
  while (!existsSync(join(dir, "pnpm-workspace.yaml")) && !existsSync(join(dir, ".git"))) {
    const parent = dirname(dir);
    if (parent === dir) return [cwd];
    folders.push(parent);
    dir = parent;
  }
  return folders;
}

/** Every `.env*` file that defines VERCEL_OIDC_TOKEN, in the order the app would prefer them. */
export function observeTokenFiles(
  envToken: string | undefined,
  folders: string[],
  now: number,
  nodeEnv = "development",
  /** Where file names are shown relative to (default: the first folder). */
  displayFrom = folders[0] ?? ".",
): TokenFile[] {
  const found: TokenFile[] = [];
  const cwd = displayFrom;
  for (const folder of folders) {
    for (const name of envFileNames(nodeEnv)) {
      const path = join(folder, name);
      let value: string | undefined;
      try {
        value = parse(readFileSync(/* turbopackIgnore: true */ path)).VERCEL_OIDC_TOKEN;
      } catch {
        continue;
      }
      if (!value) continue;
      const file = relative(cwd, path) || name;
      const matchesEnv = envToken !== undefined && envToken.trim() === value.trim();
      try {
        const summary = summarizeToken(value, now);
        found.push({ file, expiresAt: summary.expiresAt, expired: summary.expired, matchesEnv });
      } catch {
        found.push({ file, expired: false, notJwt: true, matchesEnv });
      }
    }
  }
  return found;
}

/** Where the token in use came from and what to do, for the `vercel-token-expired` finding. */
export function describeStaleToken(files: TokenFile[], fromEnv: boolean) {
  const source = fromEnv ? files.find((f) => f.matchesEnv) : files[0];
  const others = files.filter((f) => f !== source);
  const state = (f: TokenFile) =>
    f.notJwt ? "not a JWT" : `${f.expired ? "expired" : "valid until"} ${f.expiresAt ?? "?"}`;
  let where = source ? ` It comes from ${source.file}.` : "";
  if (others.length) {
    where += ` Also defined in: ${others.map((f) => `${f.file} (${state(f)})`).join(", ")}.`;
  }
  const fresh = others.find((f) => !f.expired && !f.notJwt);
  const fix =
    source && fresh
      ? `Delete VERCEL_OIDC_TOKEN from ${source.file}: it takes precedence over the valid token in ${fresh.file}.`
      : `Run \`vercel env pull\` again for a fresh development token (they last about 12 hours)${
          others.length
            ? `, and delete VERCEL_OIDC_TOKEN from ${others.map((f) => f.file).join(", ")} so only one file defines it`
            : ""
        }.`;
  return { where, fix, source };
}
