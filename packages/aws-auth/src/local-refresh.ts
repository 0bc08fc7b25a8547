// In local development the Vercel OIDC token comes from `vercel env pull` and lasts about 12 hours.
// When it has expired (or is about to), Vercel's own helper can fetch a fresh one the way `vercel
// env pull` does — through the Vercel CLI's login and the folder's `.vercel/project.json` — so
// the app keeps working instead of explaining a stale token. This asks @vercel/oidc for it, once
// per expired token, in development only: never on Vercel, in a production server (`next start`)
// or under a test runner (NODE_ENV=test), where a token from anywhere but the request (or the
// test's own setup) is a mistake to surface, not to paper over.
// KEYLESS_VERCEL_TOKEN_REFRESH=off turns it off.
import type { EnvLike } from "./types";

/** A token with less than this left is refreshed before it is sent to STS. */
export const LOCAL_REFRESH_BEFORE_EXPIRY_MS = 60_000;
/** After a failed refresh (not logged in, not linked, offline), wait this long before asking again. */
const RETRY_AFTER_FAILURE_MS = 30_000;

export function mayRefreshLocally(env: EnvLike): boolean {
  return (
    env.VERCEL !== "1" &&
    (env.NODE_ENV === undefined || env.NODE_ENV === "development") &&
    env.KEYLESS_VERCEL_TOKEN_REFRESH?.trim().toLowerCase() !== "off"
  );
}

// One refresh per stale token, shared by every caller in the process (and kept across module
// reloads of next dev).
const REFRESHES = Symbol.for("keyless.aws-auth.local-token-refreshes");
type GlobalWithRefreshes = typeof globalThis & {
  [REFRESHES]?: Map<string, Promise<string>>;
};

let asked = 0;
/** How many refreshes this process asked @vercel/oidc for (tests and diagnostics). */
export const localRefreshCount = (): number => asked;

export function refreshLocalVercelToken(stale: string): Promise<string> {
  const g = globalThis as GlobalWithRefreshes;
  g[REFRESHES] ??= new Map();
  const refreshes = g[REFRESHES];
  let refresh = refreshes.get(stale);
  if (!refresh) {
    asked += 1;
    refresh = import("@vercel/oidc").then(({ getVercelOidcToken }) =>
      getVercelOidcToken({ expirationBufferMs: LOCAL_REFRESH_BEFORE_EXPIRY_MS }),
    );
    refreshes.set(stale, refresh);
    refresh.catch(() => {
      setTimeout(() => refreshes.delete(stale), RETRY_AFTER_FAILURE_MS).unref?.();
    });
  }
  return refresh;
}
