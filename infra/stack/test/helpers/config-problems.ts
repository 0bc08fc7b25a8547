import { expect } from "vitest";
import { InfraConfigError, loadInfraConfig } from "../../src/config";

/** The problems loadInfraConfig reports for `env`; fails the test when it reports none. */
export function problemsOf(env: Record<string, string>) {
  try {
    loadInfraConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InfraConfigError);
    return (error as InfraConfigError).problems;
  }
  throw new Error("expected an InfraConfigError");
}
