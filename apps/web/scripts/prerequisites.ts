// `pnpm test` runs this first: one line per missing prerequisite (moto for the sandbox, Chromium
// for the browser tests, Corepack for the Vercel path's builds), naming the command that installs
// it, and exit 1 — before any lint, build or test starts.

import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";
import {
  chromiumMissingLine,
  corepackMissingLine,
  findChromium,
  findMoto,
  motoMissingLine,
} from "@repo/sandbox/prerequisites";

/** Playwright's own Chromium, when `pnpm --filter @repo/web exec playwright install chromium` downloaded one. */
export function playwrightChromium(): string | undefined {
  const path = chromium.executablePath();
  return existsSync(path) ? path : undefined;
}

const missing: string[] = [];
if (!findMoto()) missing.push(motoMissingLine());
if (!findChromium(process.env, playwrightChromium)) missing.push(chromiumMissingLine());
const corepack = corepackMissingLine();
if (corepack) missing.push(corepack);
for (const line of missing) console.error(line);
process.exitCode = missing.length > 0 ? 1 : 0;
