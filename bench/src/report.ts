/** One line of the `pnpm bench` table. */
export interface Row {
  bench: string;
  metric: string;
  value: string;
  goal?: string;
  /** Whether the goal was met; undefined for figures without a goal. */
  met?: boolean;
}

export function formatTable(rows: Row[]): string {
  const header: Row = { bench: "bench", metric: "metric", value: "value", goal: "goal" };
  const cells = [header, ...rows].map((row, index) => [
    row.bench,
    row.metric,
    row.value,
    row.goal ?? "",
    index === 0 ? "met" : row.met === undefined ? "" : row.met ? "yes" : "NO",
  ]);
  const widths =
    cells[0]?.map((_, column) => Math.max(...cells.map((line) => (line[column] ?? "").length))) ??
    [];
  const line = (values: string[]) =>
    values
      .map((value, column) => value.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join("\n");
}

export const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a";
