// The `--claims FILE` input of trust:check: a JSON array of token claim objects.

import { readFileSync } from "node:fs";

/** The file is missing, not JSON, or not an array of objects; the message says which. */
export class ClaimsFileError extends Error {
  override readonly name = "ClaimsFileError";
}

export function readClaimsFile(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ClaimsFileError(`Cannot read the claims file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ClaimsFileError(`The claims file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new ClaimsFileError(
      `The claims file ${path} must hold a JSON array of claim objects, like [{"sub": "…", "aud": "…"}]`,
    );
  }
  parsed.forEach((item, index) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new ClaimsFileError(
        `The claims file ${path}: item ${index} is not an object of claims`,
      );
    }
  });
  return parsed as Record<string, unknown>[];
}
