type Env = Record<string, string | undefined>;

/**
 * Production deployments tell the world as little as possible about their configuration.
 * Vercel sets VERCEL_ENV; a production build on Vercel without it is still production.
 * Off Vercel (`next start` on a laptop, the sandbox, CI) nothing is public, so details show.
 */
export function isProductionDeployment(env: Env): boolean {
  if (env.VERCEL_ENV) return env.VERCEL_ENV === "production";
  return env.VERCEL === "1" && env.NODE_ENV === "production";
}
