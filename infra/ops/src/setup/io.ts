// What the setup commands share: the layered environment (the .env under the process env, like
// the stack's config) and a writer the tests can capture.

import { existsSync, readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { CommandFailure, isUsageProblem, reportError } from "@repo/infra/cli";
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

/**
 * Runs a setup command: a usage mistake or an explained failure is printed the way the command
 * convention says (one line, exit 2 or 1); anything else propagates with its stack.
 */
export async function reportingFailures(
  print: ReturnType<typeof printer>,
  run: () => Promise<number>,
): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (isUsageProblem(error) || error instanceof CommandFailure) {
      return reportError(error, print.error);
    }
    throw error;
  }
}

/** Every call to Vercel's or GitHub's API ends within this. */
export const API_REQUEST_TIMEOUT_MS = 30_000;

/**
 * One JSON request to an HTTP API, bounded by API_REQUEST_TIMEOUT_MS. Resolves with the response
 * and its body (`{}` when empty, undefined when not JSON); a request that never got an answer
 * (refused, timed out, TLS) rejects with `unreachable(cause)`, the cause as Node gives it.
 */
export async function requestJson(
  url: URL | string,
  init: { method: string; headers: Record<string, string>; body?: unknown },
  unreachable: (cause: string) => Error,
): Promise<{ response: Response; body: unknown }> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: {
        ...init.headers,
        ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(API_REQUEST_TIMEOUT_MS),
    });
    // Inside the bound too: an answer cut off (or stalled) halfway is unreachable as well.
    text = await response.text();
  } catch (error) {
    throw unreachable(
      error instanceof Error
        ? ((error.cause as Error | undefined)?.message ?? error.message)
        : String(error),
    );
  }
  try {
    return { response, body: text === "" ? {} : JSON.parse(text) };
  } catch {
    return { response, body: undefined };
  }
}
