import { buildTimeEnv } from "@repo/aws-auth/build-env";
import type { NextConfig } from "next";
import { InvalidEnvironmentError, serverEnv } from "./lib/env";
import { loadWorkspaceEnv, workspaceRootFrom } from "./lib/load-env";
import { securityHeaders } from "./lib/security-headers";

// Next transpiles this file to CommonJS, where __dirname is this app's folder.
const appDir = typeof __dirname === "string" ? __dirname : process.cwd();
const loaded = loadWorkspaceEnv(workspaceRootFrom(appDir));
if (loaded.files.length > 0) console.log(`  keyless: env from ${loaded.files.join(", ")}`);

try {
  serverEnv();
} catch (error) {
  if (!(error instanceof InvalidEnvironmentError)) throw error;
  // A readable list of what to fix, not a stack trace.
  console.error(`\n${error.message}\n`);
  process.exit(1);
}

const nextConfig: NextConfig = {
  // @repo/aws-auth ships TypeScript source.
  transpilePackages: ["@repo/aws-auth"],
  // Next keeps @aws-sdk/client-s3 external (its built-in list) but bundles every other SDK
  // package, so a function held the SDK's core twice: as node_modules files for S3 and inlined
  // into chunks for STS, the credential providers and the presigner. External too, they share
  // the one copy: /api/health's Vercel function 5.10 → 4.84 MB (P7, tooling/vercel-local).
  serverExternalPackages: [
    "@aws-sdk/client-sts",
    "@aws-sdk/credential-providers",
    "@aws-sdk/s3-request-presigner",
  ],
  poweredByHeader: false,
  // `pnpm dev` prints localhost; the same server opened as 127.0.0.1 is this machine too, and
  // without this next dev blocks its hot reload there (a warning on every change).
  allowedDevOrigins: ["127.0.0.1"],
  // Whether the project set AWS_REGION, as the build saw it: functions tell Vercel's preset apart.
  env: buildTimeEnv(),
  // The browser tests build into a folder of their own (see e2e/servers.ts).
  distDir: process.env.KEYLESS_DIST_DIR || ".next",
  // `pnpm typecheck` runs tsc for the whole workspace; no second, slower pass inside the build.
  typescript: { ignoreBuildErrors: true },
  // Since Next 16.5 every `next dev` (pnpm dev, the tests that start it) writes managed blocks into
  // an AGENTS.md beside this file, leaving an untracked file in every checkout; 16.4 wrote it only
  // when it detected an AI agent. Off: the tree stays as committed.
  agentRules: false,
  experimental: { agentUpgrade: false },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders(process.env) }];
  },
};

export default nextConfig;
