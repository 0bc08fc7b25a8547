#!/usr/bin/env node
// pnpm copy:construct <dir>
// Writes the copyable unit of the stack into <dir> of another CDK v2 app: vercel-naming.ts (the
// pure Vercel naming rules) and vercel-oidc.ts (the provider, role and bucket constructs). They
// need only aws-cdk-lib and constructs; the versions this repo uses are printed. Plain Node with
// no dependencies. Exit codes: 0 done, 1 failed, 2 usage (one line).

import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const STACK_DIR = fileURLToPath(new URL("..", import.meta.url));
export const CONSTRUCT_FILES = ["vercel-naming.ts", "vercel-oidc.ts"];
const USAGE = "usage: pnpm copy:construct <dir> (--help for more)";
const HELP = `usage: pnpm copy:construct <dir>

Writes vercel-naming.ts and vercel-oidc.ts into <dir> (created if needed; existing files are never
overwritten). Import the constructs from "./vercel-oidc" and install aws-cdk-lib and constructs.`;

/** Copies the two files into `dir`; returns the dependencies they need, with this repo's versions. */
export function writeConstructCopy(dir) {
  const clashes = CONSTRUCT_FILES.filter((file) => existsSync(join(dir, file)));
  if (clashes.length > 0) {
    throw Object.assign(
      new Error(`${dir} already has ${clashes.join(", ")}; nothing was written`),
      {
        usage: true,
      },
    );
  }
  mkdirSync(dir, { recursive: true });
  for (const file of CONSTRUCT_FILES) copyFileSync(join(STACK_DIR, "src", file), join(dir, file));
  const { dependencies } = JSON.parse(readFileSync(join(STACK_DIR, "package.json"), "utf8"));
  return { "aws-cdk-lib": dependencies["aws-cdk-lib"], constructs: dependencies.constructs };
}

function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    console.error(`copy:construct: ${error.message} — ${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(`copy:construct: give exactly one folder — ${USAGE}`);
    return 2;
  }
  // pnpm runs root scripts from the repo root; INIT_CWD is where the user typed the command.
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), parsed.positionals[0]);
  let needs;
  try {
    needs = writeConstructCopy(dir);
  } catch (error) {
    console.error(`copy:construct: ${error.message}${error.usage ? ` — ${USAGE}` : ""}`);
    return error.usage ? 2 : 1;
  }
  const install = Object.entries(needs)
    .map(([name, version]) => `${name}@${version}`)
    .join(" ");
  console.log(
    `Wrote ${CONSTRUCT_FILES.join(" and ")} to ${dir}. They need: npm install ${install}`,
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
