// What the build knew that a function cannot tell: whether the project itself set AWS_REGION.
// In functions Vercel presets AWS_REGION to the AWS region of the function's Vercel region
// (sfo1 → us-west-1) unless the project sets it; builds get no preset. So the build's value is
// the project's, and a function that finds AWS_REGION set when the build had none is running on
// Vercel's preset. Next.js inlines `env` from next.config into the server bundles.

/** For next.config's `env`: `{ env: { ...buildTimeEnv() } }`. "" means the project set no region. */
export function buildTimeEnv(env: Readonly<Record<string, string | undefined>> = process.env): {
  KEYLESS_BUILD_AWS_REGION: string;
} {
  return { KEYLESS_BUILD_AWS_REGION: (env.AWS_REGION || env.AWS_DEFAULT_REGION || "").trim() };
}

/**
 * The region captured at build time: "" when the project set none, undefined when this code was
 * not built through next.config (then nothing can be said). Written as a literal
 * `process.env.KEYLESS_BUILD_AWS_REGION` so Next.js can replace it at build time.
 */
export function capturedBuildRegion(): string | undefined {
  return process.env.KEYLESS_BUILD_AWS_REGION;
}
