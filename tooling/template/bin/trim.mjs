#!/usr/bin/env node
// pnpm template:trim <part>… [--dry-run] [--force] [--no-install] | --list
// Removes optional parts of the template from this copy: each part's files and every reference to
// them (scripts, workspace entries, turbo inputs, workflow steps, docs), as tooling/template/
// parts.json declares them, then `pnpm install --offline` so the lockfile follows. It refuses a
// working tree with uncommitted changes (so `git checkout .` can undo it) unless --force.
// Plain Node, run from the checkout (no build step). Exit codes: 0 done, 1 failed, 2 usage.

import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  coreParts,
  optionalParts,
  PartsError,
  partsTable,
  readParts,
  resolveParts,
} from "../lib/parts.mjs";
import { ROOT } from "../lib/root.mjs";
import {
  applyPlan,
  formatWritten,
  leftoverMentions,
  partCommands,
  trimPlan,
} from "../lib/trim.mjs";

const USAGE =
  "usage: pnpm template:trim <part>… [--dry-run] [--force] [--no-install] | --list (--help for more)";
const help = (manifest) => `usage: pnpm template:trim <part>… [--dry-run] [--force] [--no-install]

Removes optional parts of the template from this repository: their files, scripts, workflow
steps, turbo inputs and docs, then runs \`pnpm install --offline\` so pnpm-lock.yaml follows.
  --dry-run     print what would go, change nothing
  --force       run even with uncommitted changes (git cannot give them back afterwards)
  --no-install  leave pnpm install to you
  --list        the optional parts, as docs/make-it-yours.md shows them

${partsTable(manifest)}

Core, never removed: ${coreParts(manifest)}.`;

/** Uncommitted changes, untracked files included: what a trim could destroy. */
function dirtyFiles(root) {
  try {
    return execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
  } catch {
    return undefined;
  }
}

export function main(argv, root = ROOT, log = console.log, error = console.error) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "dry-run": { type: "boolean" },
        force: { type: "boolean" },
        "no-install": { type: "boolean" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (failure) {
    error(`template:trim: ${failure.message} — ${USAGE}`);
    return 2;
  }
  const manifest = readParts(root);
  const { values, positionals } = parsed;
  if (values.help || values.list) {
    log(values.help ? help(manifest) : partsTable(manifest));
    return 0;
  }
  if (positionals.length === 0) {
    error(
      `template:trim: name the parts to remove (${optionalParts(manifest).join(", ") || "none left"}) — ${USAGE}`,
    );
    return 2;
  }
  let remove;
  let already;
  try {
    ({ remove, already } = resolveParts(manifest, positionals));
  } catch (failure) {
    if (!(failure instanceof PartsError)) throw failure;
    error(`template:trim: ${failure.message}`);
    return 2;
  }
  for (const name of already) log(`${name}: already removed`);
  if (remove.length === 0) return 0;

  const commands = partCommands(root, manifest, remove);
  let plan = trimPlan(root, manifest, remove);
  const dry = values["dry-run"];
  if (!dry) {
    const dirty = dirtyFiles(root);
    if (dirty === undefined && !values.force) {
      error(
        "template:trim: this is not a git repository, so nothing it removes could be restored: commit it to git first, or pass --force",
      );
      return 1;
    }
    if (dirty && dirty.length > 0 && !values.force) {
      error(
        `template:trim: ${dirty.length} uncommitted change(s) (${dirty
          .slice(0, 3)
          .map((line) => line.slice(3))
          .join(
            ", ",
          )}${dirty.length > 3 ? ", …" : ""}): commit or stash them first, so \`git checkout .\` can undo the trim, or pass --force`,
      );
      return 1;
    }
  }

  log(`${dry ? "Would remove" : "Removing"} ${remove.join(", ")}:`);
  for (const { part, command } of commands) {
    log(`  run     ${command}   (${part}, from ${manifest.parts[part].run.file})`);
    if (!dry) execFileSync("sh", ["-c", command], { cwd: root, stdio: "inherit" });
  }
  // The commands changed files; what else goes is read from the files as they are now.
  if (commands.length > 0 && !dry) plan = trimPlan(root, manifest, remove);
  for (const path of plan.deletions) log(`  delete  ${path}`);
  for (const { path, why } of plan.writes) log(`  edit    ${path} (${why.join("; ")})`);
  if (dry) return 0;

  const written = applyPlan(root, plan);
  formatWritten(root, written, manifest, remove);
  if (!values["no-install"]) {
    log("pnpm install --offline --no-frozen-lockfile (the lockfile follows, also where CI=true)");
    try {
      execFileSync("pnpm", ["install", "--offline", "--no-frozen-lockfile"], {
        cwd: root,
        stdio: "inherit",
      });
    } catch {
      error(
        "template:trim: the parts are removed, but `pnpm install --offline` failed: run `pnpm install` (it may fetch)",
      );
      return 1;
    }
  }
  const left = leftoverMentions(root, manifest, remove);
  if (left.length > 0) {
    log(`Still named (comments and text of yours to review; nothing runs them):`);
    for (const line of left.slice(0, 20)) log(`  ${line}`);
    if (left.length > 20) log(`  … and ${left.length - 20} more (git grep)`);
  }
  log(`Done: review with \`git status\`, undo with \`git checkout . && git clean -fd\`.`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
