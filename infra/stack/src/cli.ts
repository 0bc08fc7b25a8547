// How every Keyless command (infra/stack, infra/sandbox, infra/ops and the web app's `pnpm dev`)
// reads its arguments and ends, so they all behave alike:
//   --help → the usage on stdout, exit 0
//   a usage or configuration mistake → one line on stderr (plus the configuration's problem list),
//     exit 2
//   a failure the command explains (a failing check, an AWS or Vercel error) → its message, exit 1
//   anything unexpected → the stack, exit 1
// Colour follows NO_COLOR and FORCE_COLOR (https://no-color.org, https://force-color.org).

import { type ParseArgsConfig, parseArgs } from "node:util";
import pc from "picocolors";
import { InfraConfigError } from "./config";
import { ClaimsFileError } from "./trust/claims-file";

/** A mistake in how the command was called: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name: string = "UsageError";
}

/** A failure the command has explained in its message: printed without a stack, exit 1. */
export class CommandFailure extends Error {
  override readonly name: string = "CommandFailure";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CommandSpec<T extends Options> {
  /** The full usage text, first line `usage: pnpm <command> …`; printed by --help. */
  readonly usage: string;
  readonly options: T;
  /** How many positional arguments the command takes (default none). */
  readonly positionals?: number;
}

const HELP = { help: { type: "boolean", short: "h" } } as const satisfies Options;

/**
 * Strict parsing: an unknown flag, a missing value or a stray argument is a UsageError, one line
 * that names it and ends with the usage line. `help` is true when --help/-h was given (print
 * `spec.usage`, exit 0).
 */
export function parseCommandArgs<const T extends Options>(
  argv: readonly string[],
  spec: CommandSpec<T>,
) {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...spec.options, ...HELP },
    });
    if (positionals.length > (spec.positionals ?? 0)) {
      throw new UsageError(`unexpected argument "${positionals.join(" ")}"`);
    }
    const help = (values as { help?: boolean }).help === true;
    return { values, positionals, help };
  } catch (error) {
    throw usageError((error as Error).message, spec.usage);
  }
}

/** One line: what was wrong, then the usage line, e.g. `--wait: "5x" is not a duration —
 * usage: pnpm verify [--since DURATION] … (--help for more)`. */
export function usageError(problem: string, usage: string): UsageError {
  const usageLine = oneLine(usage.split("\n\n")[0] ?? usage);
  return new UsageError(
    `${oneLine(problem)} — ${usageLine}${usageLine.includes("--help") ? "" : " (--help for more)"}`,
  );
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();

/** Exit 2: the way the command was called or configured is wrong, and the message says how. */
export function isUsageProblem(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    error instanceof InfraConfigError ||
    error instanceof ClaimsFileError
  );
}

/** The exit code for `error`, after printing it to stderr the way the convention says. */
export function reportError(error: unknown, stderr: (text: string) => void): number {
  if (isUsageProblem(error)) {
    stderr(error instanceof InfraConfigError ? error.message : oneLine(error.message));
    return 2;
  }
  if (error instanceof CommandFailure) {
    stderr(error.message);
    return 1;
  }
  stderr(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return 1;
}

/** Runs a command's main function and sets the exit code by the convention above. */
export function runCli(main: () => Promise<number> | number): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.exitCode = reportError(error, (text) => console.error(text));
      },
    );
}

export function printWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) console.error(`WARNING: ${warning}`);
}

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Colour for one stream: never with NO_COLOR set (non-empty), always with FORCE_COLOR set (other
 * than 0/false), else only on a terminal.
 */
export function colorsFor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Colors {
  if (env.NO_COLOR) return pc.createColors(false);
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "")
    return pc.createColors(force !== "0" && force !== "false");
  return pc.createColors(Boolean(stream.isTTY));
}
