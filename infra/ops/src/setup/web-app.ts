// The Next.js app the Vercel project builds: where it lives and the Node.js line it is made for.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CommandFailure } from "@repo/infra/cli";
import { nodeVersionFromEngines, WEB_APP_DIRECTORY } from "./vercel-project-plan";

/** Vercel's Node.js Version setting for the app: the line of its `engines.node` (e.g. 24.x). */
export function webAppNodeVersion(): string {
  const file = fileURLToPath(
    new URL(`../../../../${WEB_APP_DIRECTORY}/package.json`, import.meta.url),
  );
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { engines?: { node?: string } };
  const version = nodeVersionFromEngines(manifest.engines?.node);
  if (!version) {
    throw new CommandFailure(
      `${WEB_APP_DIRECTORY}/package.json names no Node.js version in engines.node (e.g. "24.x"): set it, so the Vercel project builds with the Node.js the app is made for.`,
    );
  }
  return version;
}
