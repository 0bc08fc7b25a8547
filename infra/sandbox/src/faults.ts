import { randomUUID } from "node:crypto";

/**
 * What the gateway can do to STS calls instead of answering them normally (the benchmarks and the
 * reliability suite drive these; nothing else in the sandbox fails on purpose).
 * - `error-500` / `error-503`: STS's InternalFailure / ServiceUnavailable (the SDK retries them)
 * - `throttle`: STS's `Throttling: Rate exceeded` (retried too)
 * - `reset`: the TCP connection is reset before any answer
 * - `delay`: the call is answered normally after `delayMs` (default 2000)
 * - `hang`: no answer at all until the client gives up, the fault is cleared or the sandbox stops
 */
export const FAULT_KINDS = [
  "error-500",
  "error-503",
  "throttle",
  "reset",
  "delay",
  "hang",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** For `delay`. */
  delayMs?: number;
  /** How many STS calls it applies to; unset = every call until cleared. */
  count?: number;
}

export interface ActiveFault {
  id: string;
  kind: FaultKind;
  delayMs?: number;
  /** Calls left; null = until cleared. */
  remaining: number | null;
  applied: number;
}

export const DEFAULT_FAULT_DELAY_MS = 2000;

/** Why `value` is not a fault spec, or undefined when it is. */
export function faultSpecProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "a fault is a JSON object";
  const spec = value as Record<string, unknown>;
  if (!FAULT_KINDS.includes(spec.kind as FaultKind)) {
    return `fault kind ${JSON.stringify(spec.kind)} must be one of ${FAULT_KINDS.join(", ")}`;
  }
  for (const [field, minimum] of [
    ["delayMs", 0],
    ["count", 1],
  ] as const) {
    const number = spec[field];
    if (number !== undefined && !(Number.isInteger(number) && (number as number) >= minimum)) {
      return `fault ${field} must be a whole number ≥ ${minimum}, got ${JSON.stringify(number)}`;
    }
  }
  return undefined;
}

export class FaultInjector {
  #faults: ActiveFault[] = [];
  #applied = 0;
  #onClear: (() => void)[] = [];

  inject(spec: FaultSpec): ActiveFault {
    const problem = faultSpecProblem(spec);
    if (problem) throw new Error(problem);
    const fault: ActiveFault = {
      id: randomUUID(),
      kind: spec.kind,
      remaining: spec.count ?? null,
      applied: 0,
      ...(spec.kind === "delay" ? { delayMs: spec.delayMs ?? DEFAULT_FAULT_DELAY_MS } : {}),
    };
    this.#faults.push(fault);
    return { ...fault };
  }

  /** Removes every fault and releases calls that are hanging. */
  clear(): void {
    this.#faults = [];
    for (const release of this.#onClear.splice(0)) release();
  }

  list(): ActiveFault[] {
    return this.#faults.map((fault) => ({ ...fault }));
  }

  get appliedCount(): number {
    return this.#applied;
  }

  /** The fault for the next STS call, if any (faults apply in the order they were added). */
  take(): ActiveFault | undefined {
    const fault = this.#faults[0];
    if (!fault) return undefined;
    fault.applied++;
    this.#applied++;
    if (fault.remaining !== null) {
      fault.remaining--;
      if (fault.remaining <= 0) this.#faults.shift();
    }
    return { ...fault };
  }

  /** Runs `release` when the faults are cleared (used to end hanging calls). */
  onClear(release: () => void): () => void {
    this.#onClear.push(release);
    return () => {
      this.#onClear = this.#onClear.filter((entry) => entry !== release);
    };
  }
}
