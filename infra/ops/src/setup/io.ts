// What the setup commands share: the layered environment (the .env under the process env, like
// the stack's config) and a writer the tests can capture.

import { existsSync, readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { type ParseArgsConfig, parseArgs } from "node:util";
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

/** A mistake in how a command was called: printed with the usage, exit 2. */
export class CommandUsageError extends Error {
  override readonly name = "CommandUsageError";
}

type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

const COMMON_OPTIONS = {
  "env-file": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies FlagOptions;

/** Strict flag parsing (an unknown flag is an error that shows the usage), plus --env-file/--help. */
export function parseCommandArgs<const T extends FlagOptions>(
  argv: readonly string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args: [...argv], strict: true, options: { ...options, ...COMMON_OPTIONS } })
      .values;
  } catch (error) {
    throw new CommandUsageError(`${(error as Error).message}\n\n${usage}`);
  }
}
