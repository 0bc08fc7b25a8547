// How a verify outcome is shown: a readable table (colour as @repo/infra/cli's colorsFor says) or the
// exact JSON of DESIGN.md. A spinner with the elapsed time while CloudTrail is polled, TTY only.

import type { Colors } from "@repo/infra/cli";
import { environmentOfSubject } from "./cloudtrail";
import { formatDuration } from "./duration";
import type { VerifyOutcome } from "./index";
import type { VerifyReport } from "./types";

export function renderJson(report: VerifyReport): string {
  return JSON.stringify(
    {
      ok: report.ok,
      checks: report.checks.map(({ name, ok, detail }) => ({ name, ok, detail })),
      events: report.events,
    },
    null,
    2,
  );
}

/** Greedy word wrap; words longer than the width (ARNs) stay whole on their own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [""];
}

const EVENTS_SHOWN = 20;

export function renderText(outcome: VerifyOutcome, colors: Colors, columns = 100): string {
  const { report, context } = outcome;
  const out: string[] = [];
  const where = [
    `stack ${context.stackName}`,
    context.region,
    context.account ? `account ${context.account}` : undefined,
    context.endpoint ? `endpoint ${context.endpoint}` : undefined,
  ].filter(Boolean);
  out.push(colors.bold(`Keyless verify — ${where.join(", ")}`), "");

  const nameWidth = Math.max(...report.checks.map((check) => check.name.length));
  const detailWidth = Math.max(40, columns - nameWidth - 10);
  // "NN. " + mark + " " + name + "  " precede the detail.
  const indent = " ".repeat(nameWidth + 11);
  report.checks.forEach((check, index) => {
    const mark = check.ok ? colors.green("ok  ") : colors.red(colors.bold("FAIL"));
    const [first = "", ...rest] = wrap(check.detail, detailWidth);
    out.push(
      `${String(index + 1).padStart(2)}. ${mark} ${colors.bold(check.name.padEnd(nameWidth))}  ${first}`,
    );
    for (const line of rest) out.push(`${indent}${line}`);
  });

  if (outcome.trail.length > 0) {
    out.push(
      "",
      colors.bold(
        `AssumeRoleWithWebIdentity events for the stack's roles (${context.cloudTrailRegion}, newest first)`,
      ),
    );
    const rows = outcome.trail
      .slice(0, EVENTS_SHOWN)
      .map((event) => [
        event.time,
        environmentOfSubject(event.subject) ?? "?",
        event.sessionName ?? "-",
        event.sourceIp ?? "-",
        event.region ?? "-",
        event.errorCode ?? "ok",
      ]);
    const header = ["time", "environment", "session (deployment)", "source IP", "region", "result"];
    const widths = header.map((cell, i) =>
      Math.max(cell.length, ...rows.map((row) => (row[i] ?? "").length)),
    );
    const line = (cells: string[]) =>
      cells
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd();
    out.push(`  ${colors.dim(line(header))}`);
    outcome.trail.slice(0, EVENTS_SHOWN).forEach((event, i) => {
      const cells = rows[i] ?? [];
      const text = line(cells);
      out.push(`  ${event.errorCode ? colors.red(text) : text}`);
      const detailIndent = "      ";
      out.push(colors.dim(`${detailIndent}sub ${event.subject ?? "-"}`));
      out.push(
        colors.dim(`${detailIndent}user agent ${truncate(event.userAgent ?? "-", columns - 17)}`),
      );
      const explained = outcome.explanations.get(event.eventId);
      if (explained) {
        for (const text of wrap(`${explained.title}: ${explained.cause}`, columns - 8))
          out.push(`${detailIndent}${colors.yellow(text)}`);
        const fix = explained.fixes[0];
        if (fix)
          for (const text of wrap(`Fix: ${fix}`, columns - 8)) out.push(`${detailIndent}${text}`);
      }
    });
    if (outcome.trail.length > EVENTS_SHOWN) {
      out.push(
        colors.dim(
          `  … ${outcome.trail.length - EVENTS_SHOWN} older events (all of them with --json)`,
        ),
      );
    }
  }

  const failed = report.checks.filter((check) => !check.ok);
  out.push(
    "",
    failed.length === 0
      ? colors.green(colors.bold(`All ${report.checks.length} checks passed.`))
      : colors.red(
          colors.bold(
            `${failed.length} of ${report.checks.length} checks failed: ${failed.map((c) => c.name).join(", ")}.`,
          ),
        ),
  );
  return out.join("\n");
}

const truncate = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** A one-line spinner with the elapsed time on a terminal; silent anywhere else. */
export function startSpinner(
  stream: { isTTY?: boolean; write(chunk: string): boolean },
  text: string,
  colors: Colors,
): Spinner {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const started = Date.now();
  let frame = 0;
  let current = text;
  let stopped = false;
  const draw = () => {
    const elapsed = formatDuration(Date.now() - started);
    stream.write(
      `\r\x1b[2K${colors.cyan(FRAMES[frame++ % FRAMES.length] ?? "")} ${current} ${colors.dim(elapsed)}`,
    );
  };
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    update(next) {
      current = next;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write("\r\x1b[2K");
    },
  };
}
