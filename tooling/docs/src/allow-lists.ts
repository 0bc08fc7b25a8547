// What the docs may name that the repository's files do not contain, each with its source.

/** Variables another system defines and documents (none needed yet: each one the docs name is also read or set by code here). */
export const EXTERNAL_VARIABLES: Readonly<Record<string, string>> = {};

/** Paths that exist once a command has run, each with the code that creates it. */
export const GENERATED_PATHS: Readonly<Record<string, string>> = {
  ".sandbox/app.env": "written by the running sandbox (infra/sandbox/src/index.ts)",
  ".sandbox/state.json": "written by the running sandbox (infra/sandbox/src/index.ts)",
  "apps/web/node_modules/.cache/keyless-e2e": "the browser tests' build (apps/web/e2e/servers.ts)",
  "apps/web/node_modules/.cache/keyless-e2e-logs":
    "the browser tests' server logs (apps/web/e2e/environment.ts)",
  "bench/results/latest.json": "written by `pnpm bench` (bench/src)",
  "apps/web/.env.local": "written by `vercel env pull` (Vercel CLI)",
  "apps/web/.next": "`next build`'s output (`pnpm build`)",
  "apps/web/.next/cache": "Next's build cache, inside its output",
  "infra/sandbox/node_modules/.cache/keyless-sandbox":
    "the sandbox's template cache (infra/sandbox/src/synthesis.ts)",
  "infra/stack/cdk.out": "`pnpm infra:synth` (the aws-cdk CLI)",
  "tooling/vercel-local/.reports/p7.json":
    "`pnpm --filter @repo/vercel-local bench:p7` (tooling/vercel-local/src/p7-cold-start.ts)",
  "tooling/vercel-local/.reports/p7.log":
    "`pnpm --filter @repo/vercel-local bench:p7` (tooling/vercel-local/src/p7-cold-start.ts)",
  ".vercel/project.json": "written by `vercel link` (the Vercel CLI); read by @vercel/oidc",
  ".vercel/output": "`vercel build`'s output, in the folder it builds (the Vercel CLI)",
  ".vercel/build.log": "the Vercel-path harness's build log (tooling/vercel-local/src/build.ts)",
  "apps/web/app/api/notes/route.ts":
    "the route docs/add-a-resource.md's worked example creates (tooling/template/test-copy/add-a-resource.test.ts)",
};
