// How every infra CLI ends: a configuration or usage problem is printed as a message (exit 2),
// anything unexpected with its stack (exit 1).

import { InfraConfigError } from "./config";
import { ClaimsFileError } from "./trust/claims-file";

/** A mistake in how the command was called; printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function runCli(main: () => Promise<number> | number): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        if (
          error instanceof InfraConfigError ||
          error instanceof UsageError ||
          error instanceof ClaimsFileError
        ) {
          console.error(error.message);
          process.exitCode = 2;
          return;
        }
        console.error(error);
        process.exitCode = 1;
      },
    );
}

export function printWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) console.error(`WARNING: ${warning}`);
}
