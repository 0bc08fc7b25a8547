import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Row } from "./report";

/**
 * P7 belongs to the Vercel-path harness (tooling/vercel-local): it builds the app with the real
 * `vercel build` and lays a bare static-credentials route over the build's copy. The bench only
 * runs it there and takes its rows, so a copy that removed the harness loses P7 and nothing else.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HARNESS = `${ROOT}tooling/vercel-local/package.json`;
const SCRIPT = "bench:p7";
const TIMEOUT_MS = 20 * 60_000;

export function harnessHasP7(): boolean {
  if (!existsSync(HARNESS)) return false;
  const scripts = (
    JSON.parse(readFileSync(HARNESS, "utf8")) as { scripts?: Record<string, string> }
  ).scripts;
  return Boolean(scripts?.[SCRIPT]);
}

export async function runP7(): Promise<Row[]> {
  if (!harnessHasP7()) {
    return [
      {
        bench: "P7",
        metric: "not run",
        value:
          "P7 is part of tooling/vercel-local (the Vercel-path harness), which this copy does not have",
      },
    ];
  }
  const child = spawn(
    "pnpm",
    ["--silent", "--filter", "@repo/vercel-local", "run", SCRIPT, "--json"],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    },
  );
  let stdout = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  const timer = setTimeout(() => {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
  }, TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(
      `pnpm --filter @repo/vercel-local ${SCRIPT} --json exited ${code} (its output is above)`,
    );
  }
  const start = stdout.indexOf("[");
  return JSON.parse(stdout.slice(start)) as Row[];
}
