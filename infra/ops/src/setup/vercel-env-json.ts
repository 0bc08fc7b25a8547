// `pnpm vercel:env --json`: the plan as data. Values appear only for the variables the command
// manages (region, role ARN, bucket: none is a secret); a variable it deletes is named, never shown.

import type { PlanStep } from "./vercel-env-plan";
import type { SettingChange } from "./vercel-project-plan";

export interface VercelEnvJson {
  readonly project: string;
  readonly environments: readonly string[];
  /** True when --apply made the changes; false for a dry run or when nothing needed changing. */
  readonly applied: boolean;
  /** False when there was no VERCEL_TOKEN: the plan lists what --apply would set, unread. */
  readonly compared: boolean;
  readonly steps: readonly {
    readonly action: PlanStep["action"];
    readonly key: string;
    readonly target: readonly string[];
    readonly value?: string;
  }[];
  /** Project settings to change (none: all as wanted). */
  readonly settings: readonly {
    readonly field: string;
    readonly from?: string;
    readonly to: string;
  }[];
}

export function vercelEnvJson(
  project: string,
  environments: readonly string[],
  steps: readonly PlanStep[],
  settings: readonly SettingChange[],
  applied: boolean,
  compared: boolean,
): string {
  const report: VercelEnvJson = {
    project,
    environments,
    applied,
    compared,
    steps: steps.map((step) => ({
      action: step.action,
      key: step.key,
      target: step.target,
      ...(step.action === "create" || step.action === "update" || step.action === "keep"
        ? { value: step.value }
        : {}),
    })),
    settings: settings.map(({ field, from, to }) => ({
      field,
      ...(from !== undefined ? { from } : {}),
      to,
    })),
  };
  return JSON.stringify(report, null, 2);
}
