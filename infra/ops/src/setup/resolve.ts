// Where each setup value comes from, in order: a flag, the process environment (CI), the existing
// .env, the field's fallback. Validated field by field with the stack's own validators.

import type { ConfigProblem } from "@repo/infra/config";
import { SETUP_FIELDS, type SetupField, type SetupValues } from "./fields";

export type ValueSource = "flag" | "environment" | ".env" | "default";

export interface ResolvedValue {
  readonly value: string | undefined;
  readonly source: ValueSource | undefined;
}

export interface SetupSources {
  /** Flag values by variable name (only flags that were given; "" clears an optional value). */
  readonly flags: SetupValues;
  /** The process environment. */
  readonly environment: SetupValues;
  /** The existing .env's values (none when the file does not exist yet). */
  readonly existing: SetupValues;
}

const given = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== "";

/** The first source that has a value for `field`, without validating it. */
export function pickValue(field: SetupField, sources: SetupSources): ResolvedValue {
  const flag = sources.flags[field.variable];
  if (flag !== undefined) return { value: flag, source: "flag" };
  const fromEnvironment = sources.environment[field.variable];
  if (given(fromEnvironment)) return { value: fromEnvironment, source: "environment" };
  const fromFile = sources.existing[field.variable];
  if (given(fromFile)) return { value: fromFile, source: ".env" };
  if (field.fallback !== undefined) return { value: field.fallback, source: "default" };
  return { value: undefined, source: undefined };
}

export interface Resolution {
  /** Validated, normalised values; a field without a value is absent. */
  readonly values: Readonly<Record<string, string>>;
  readonly sources: Readonly<Record<string, ValueSource>>;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly string[];
}

/**
 * Validates `raw` field by field (later fields see the earlier answers: the provider ARN is
 * checked against the issuer). A missing required value names its flag and variable.
 */
export function validateValues(
  raw: SetupValues,
  fields: readonly SetupField[] = SETUP_FIELDS,
): Omit<Resolution, "sources"> {
  const values: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  for (const field of fields) {
    const result = field.validate(raw[field.variable], { ...raw, ...values });
    if (!result.ok) {
      const missing = !given(raw[field.variable]);
      problems.push({
        variable: field.variable,
        message: missing
          ? `${result.problem.message} Pass --${field.flag} or set ${field.variable}.`
          : result.problem.message,
      });
      continue;
    }
    if (result.warning) warnings.push(result.warning);
    // An explicit "" clears an optional value; otherwise an absent value stays absent.
    if (result.value !== undefined) values[field.variable] = result.value;
    else if (raw[field.variable] !== undefined) values[field.variable] = "";
  }
  return { values, problems, warnings };
}

/** Non-interactive setup: every value from its sources, validated. */
export function resolveSetupValues(sources: SetupSources): Resolution {
  const raw: Record<string, string | undefined> = {};
  const from: Record<string, ValueSource> = {};
  for (const field of SETUP_FIELDS) {
    const picked = pickValue(field, sources);
    raw[field.variable] = picked.value;
    if (picked.source) from[field.variable] = picked.source;
  }
  return { ...validateValues(raw), sources: from };
}
