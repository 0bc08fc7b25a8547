// `pnpm vercel:env --json`: the plan as data. Values appear only for the variables the command
// manages (region, role ARN, bucket: none is a secret); a variable it deletes is named, never shown.

import type { PlanStep } from "./vercel-env-plan";

export interface VercelEnvJson {
  readonly project: string;
  readonly environments: readonly string[];
  /** True when --apply made the changes; false for a dry run or when nothing needed changing. */
  readonly applied: boolean;
  readonly steps: readonly {
    readonly action: PlanStep["action"];
    readonly key: string;
    readonly target: readonly string[];
    readonly value?: string;
  }[];
}

export function vercelEnvJson(
  project: string,
  environments: readonly string[],
  steps: readonly PlanStep[],
  applied: boolean,
): string {
  const report: VercelEnvJson = {
    project,
    environments,
    applied,
    steps: steps.map((step) => ({
      action: step.action,
      key: step.key,
      target: step.target,
      ...(step.action === "create" || step.action === "update" || step.action === "keep"
        ? { value: step.value }
        : {}),
    })),
  };
  return JSON.stringify(report, null, 2);
}
