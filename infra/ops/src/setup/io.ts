// What the setup commands share: the layered environment (the .env under the process env, like
// the stack's config) and a writer the tests can capture.

import { existsSync, readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { ENV_FILE } from "@repo/infra/config";
import { readEnvValues } from "./env-file";

export type Environment = Readonly<Record<string, string | undefined>>;

/** The .env the commands read and write: KEYLESS_ENV_FILE (tests, other layouts) or the repo root. */
export function envFilePath(flag: string | undefined, environment: Environment): string {
  return flag ?? environment.KEYLESS_ENV_FILE ?? ENV_FILE;
}

/** The .env's values, empty when it does not exist. */
export function readEnvFile(path: string): Record<string, string> {
  return existsSync(path) ? { ...readEnvValues(readFileSync(path, "utf8")) } : {};
}

/** The process environment wins over the file, as everywhere in infra. */
export function layeredEnvironment(path: string, environment: Environment): Environment {
  return { ...readEnvFile(path), ...environment };
}

export interface Output {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export function printer(output: Output) {
  return {
    line: (text = "") => output.stdout.write(`${text}\n`),
    error: (text: string) => output.stderr.write(`${text}\n`),
  };
}

/** The flag both setup commands take besides their own (--help comes with parseCommandArgs). */
// Not --env-file: Node reads that flag itself from anywhere on the command line (after the script
// too) and exits "not found" before the command starts.
export const ENV_FILE_OPTION = { "env-path": { type: "string" } } as const;
