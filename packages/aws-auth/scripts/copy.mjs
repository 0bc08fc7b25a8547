#!/usr/bin/env node
// pnpm copy:aws-auth <dir | file.tgz>
// Writes this package as a plain project another repo can take as it is: every `catalog:` version
// replaced by the version the workspace pins (pnpm-workspace.yaml), the workspace's own files
// left out, and a pnpm-workspace.yaml that approves esbuild's build script (pnpm 10+ refuses it
// otherwise; npm and yarn ignore the file). A .tgz target is packed with `npm pack`.
// Plain Node with no dependencies, so it runs before anything is installed. Exit codes follow the
// repo's convention: 0 done, 1 failed, 2 usage (one line).

import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const USAGE = "usage: pnpm copy:aws-auth <dir | file.tgz> (--help for more)";
const HELP = `usage: pnpm copy:aws-auth <dir | file.tgz>

Writes packages/aws-auth as a plain project: real versions instead of catalog:, no workspace
files, installable with npm, pnpm or yarn as it is. <dir> must not exist or be empty; a path
ending in .tgz gets an npm tarball instead.`;
/** Workspace-only files: turbo's task config, the copy script and its own test. */
const LEFT_OUT = new Set([
  "node_modules",
  ".turbo",
  "coverage",
  "turbo.json",
  "scripts",
  "test-copy",
  "vitest.copy.config.ts",
]);
const PLAIN_PNPM_SETTINGS = "allowBuilds:\n  esbuild: true\nupdateNotifier: false\n";

/** The `catalog:` block of the nearest pnpm-workspace.yaml above this package. Read by hand: it
 * is flat `name: version` lines, and this script must run with nothing installed. */
export function workspaceCatalog(from = PACKAGE_DIR) {
  let dir = from;
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    if (dirname(dir) === dir) return {};
    dir = dirname(dir);
  }
  const catalog = {};
  let inCatalog = false;
  for (const line of readFileSync(join(dir, "pnpm-workspace.yaml"), "utf8").split("\n")) {
    if (/^catalog:\s*$/.test(line)) {
      inCatalog = true;
      continue;
    }
    if (inCatalog && /^\S/.test(line)) break;
    const entry = /^\s+["']?([^"':\s]+)["']?:\s*["']?([^"'\s#]+)["']?/.exec(line);
    if (inCatalog && entry?.[1] && entry[2]) catalog[entry[1]] = entry[2];
  }
  return catalog;
}

/** package.json with every `catalog:` pinned; a `workspace:` dependency cannot be copied. */
export function plainPackageJson(pkg, catalog) {
  const pin = (deps = {}) =>
    Object.fromEntries(
      Object.entries(deps).map(([name, version]) => {
        if (version.startsWith("workspace:")) {
          throw new Error(`${name} is a workspace package: the copy would not install`);
        }
        if (!version.startsWith("catalog:")) return [name, version];
        const pinned = catalog[name];
        if (!pinned) throw new Error(`${name} is "catalog:" but pnpm-workspace.yaml has no entry`);
        return [name, pinned];
      }),
    );
  return { ...pkg, dependencies: pin(pkg.dependencies), devDependencies: pin(pkg.devDependencies) };
}

/** The plain project in `dir` (which must not exist or be empty). */
export function writeCopy(dir) {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw Object.assign(new Error(`${dir} is not empty; give a new folder`), { usage: true });
  }
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));
  const plain = plainPackageJson(pkg, workspaceCatalog());
  cpSync(PACKAGE_DIR, dir, {
    recursive: true,
    filter: (source) => source === PACKAGE_DIR || !LEFT_OUT.has(basename(source)),
  });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(plain, null, 2)}\n`);
  writeFileSync(join(dir, "pnpm-workspace.yaml"), PLAIN_PNPM_SETTINGS);
  pinDocsLink(dir);
}

/**
 * The explained errors link this package's README on the template's main branch; a copy links the
 * commit it was made from, so its links keep describing its own version (src/docs-link.ts).
 */
export function pinDocsLink(dir, commit = sourceCommit()) {
  if (!commit) return;
  const file = join(dir, "src", "docs-link.ts");
  const text = readFileSync(file, "utf8");
  writeFileSync(
    file,
    text.replace("/blob/main/packages/aws-auth/", `/blob/${commit}/packages/aws-auth/`),
  );
}

/** The commit this package's checkout is at, or undefined outside a git checkout. */
function sourceCommit() {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: PACKAGE_DIR,
      encoding: "utf8",
    }).trim();
  } catch {
    return undefined;
  }
}

/** An npm tarball of the copy at `file`. */
export function writeTarball(file) {
  const staging = mkdtempSync(join(tmpdir(), "aws-auth-copy-"));
  try {
    writeCopy(join(staging, "package"));
    const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", staging], {
      cwd: join(staging, "package"),
      encoding: "utf8",
    }).trim();
    renameSync(join(staging, packed.split("\n").pop() ?? ""), file);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function main(argv) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  if (argv.length !== 1 || argv[0].startsWith("-")) {
    console.error(
      `copy:aws-auth: ${argv.length === 0 ? "no target given" : `unexpected "${argv.join(" ")}"`} — ${USAGE}`,
    );
    return 2;
  }
  // pnpm runs root scripts from the repo root; INIT_CWD is where the user typed the command.
  const target = resolve(process.env.INIT_CWD ?? process.cwd(), argv[0]);
  try {
    if (target.endsWith(".tgz")) writeTarball(target);
    else writeCopy(target);
  } catch (error) {
    console.error(`copy:aws-auth: ${error.message}${error.usage ? ` — ${USAGE}` : ""}`);
    return error.usage ? 2 : 1;
  }
  console.log(`Wrote ${target}: install it with npm, pnpm or yarn, then run its tests (npm test).`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
