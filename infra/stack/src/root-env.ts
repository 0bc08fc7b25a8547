// The one `.env` the user edits (repo root), under the process environment. Kept apart from
// config.ts, which loads the CDK through the construct's naming rules: the sandbox's long-lived
// process and the CLIs' fast paths read the environment without paying for aws-cdk-lib.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";

/** The repo-root `.env`, found from this file so it works from any working directory. */
export const ENV_FILE = fileURLToPath(new URL("../../../.env", import.meta.url));

export type InfraEnv = Readonly<Record<string, string | undefined>>;

/** The repo-root `.env` under the process environment (the process environment wins). */
export function readInfraEnv(envFile = ENV_FILE, environment: InfraEnv = process.env): InfraEnv {
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  return { ...fromFile, ...environment };
}
