// Durations as people type them: 30s, 5m, 1h, 1h30m, 0. Hand-written: the one small parser the
// CLI needs, with an error message that says what to type instead.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/;

export class DurationError extends Error {
  override readonly name = "DurationError";
}

/** Milliseconds in `text`; throws a DurationError that names the option and shows examples. */
export function parseDuration(text: string, option: string): number {
  const value = text.trim();
  if (value === "0") return 0;
  if (!WHOLE.test(value)) {
    throw new DurationError(
      `${option} "${text}" is not a duration: write a number with a unit, like 30s, 5m, 1h or 1h30m (units ms, s, m, h, d)`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** 90000 → "1m30s", 0 → "0s": how elapsed times and windows are printed. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return ms <= 0 ? "0s" : `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join("");
}
