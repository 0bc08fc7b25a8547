#!/usr/bin/env node
// pnpm repository:set <owner/repo> [--commit]
// Makes a repository created from the Keyless template its own: every mention of the template's
// GitHub coordinates (read from `repository` in the root package.json) in the tracked files becomes
// <owner/repo>, the Deploy to Vercel buttons are re-rendered by their own renderer, and the
// first-run marker (.github/template-first-run.md) is deleted so the first-run workflow does not
// run again. --commit records all of it as one commit.
// Plain Node with no dependencies: the first-run workflow runs it before anything is installed
// (no third-party code runs while the job holds a token that can push). Exit codes follow the
// repo's convention: 0 done, 1 failed, 2 usage or bad input (one line).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ROOT } from "../lib/root.mjs";

export { ROOT };
export const MARKER = ".github/template-first-run.md";
const RENDERER = "apps/web/scripts/deploy-button.mjs";
/** The files that renderer writes. */
const BUTTON_FILES = ["README.md", "apps/web/README.md"];
/** The default GITHUB_TOKEN may not change workflow files, so the rewrite leaves them alone. */
const UNTOUCHABLE = ".github/workflows/";
const USAGE = "usage: pnpm repository:set <owner/repo> [--commit] (--help for more)";
const HELP = `usage: pnpm repository:set <owner/repo> [--commit]

Rewrites this repository's GitHub coordinates (package.json "repository", the Deploy to Vercel
buttons, README links) from the template's to <owner/repo>, and deletes ${MARKER}.
  --commit   record the change as one git commit
The first-run workflow (.github/workflows/template-first-run.yml) runs this once in a repository
created with "Use this template"; after a git clone or create-turbo, run it yourself.`;

export class UsageError extends Error {}

// GitHub's rules: an owner is 1–39 letters, digits or single hyphens, not at either end; a
// repository name is 1–100 of letters, digits, ".", "-", "_", and not "." or "..".
const OWNER = /^(?=.{1,39}$)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** `owner/repo` checked against GitHub's naming rules; a bad one is one UsageError saying why. */
export function parseRepository(value) {
  const trimmed = String(value ?? "").trim();
  const parts = trimmed.split("/");
  const [owner = "", name = ""] = parts;
  const problem =
    parts.length !== 2
      ? "give it as <owner>/<repo>"
      : !OWNER.test(owner)
        ? `the owner "${owner}" may hold only letters, digits and single hyphens (not at either end), at most 39`
        : !NAME.test(name) || name === "." || name === ".."
          ? `the name "${name}" may hold only letters, digits, ".", "-" and "_", at most 100`
          : undefined;
  if (problem) {
    throw new UsageError(
      `"${trimmed}" is not a GitHub repository: ${problem} (e.g. acme-labs/storefront)`,
    );
  }
  return { owner, name, slug: `${owner}/${name}` };
}

/** owner/repo of the GitHub URL in package.json's `repository` (any of npm's forms). */
export function currentRepository(root = ROOT) {
  const { repository } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const raw = typeof repository === "string" ? repository : repository?.url;
  const match = /(?:github\.com[/:]|github:|^)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(
    String(raw ?? "").trim(),
  );
  if (!match) {
    throw new Error(
      `package.json's "repository" (${JSON.stringify(raw)}) names no GitHub repository; set it to "https://github.com/<owner>/<repo>"`,
    );
  }
  return `${match[1]}/${match[2]}`;
}

const readIfThere = (path) => (existsSync(path) ? readFileSync(path, "utf8") : undefined);
const git = (root, args) => execFileSync("git", args, { cwd: root, encoding: "utf8" });

/** The spellings of `slug` that appear in files: plain, and URL-encoded as in the buttons. */
const spellings = (slug) => [slug, slug.replace("/", "%2F")];

/**
 * Rewrites `from` → `to` in every tracked text file but the workflows, re-renders the buttons,
 * deletes the marker. Returns the files it changed (repo-relative) and any workflow still naming
 * the template (those need a person: the workflow token may not edit them).
 */
export function setRepository(root, to, from = currentRepository(root)) {
  const changed = new Set();
  const stuck = [];
  const tracked = git(root, ["ls-files", "-z"]).split("\0").filter(Boolean);
  for (const file of tracked) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    if (bytes.includes(0)) continue; // binary
    const text = bytes.toString("utf8");
    let next = text;
    spellings(from).forEach((spelling, i) => {
      next = next.replaceAll(spelling, spellings(to)[i] ?? to);
    });
    if (next === text) continue;
    if (file.startsWith(UNTOUCHABLE)) stuck.push(file);
    else {
      writeFileSync(path, next);
      changed.add(file);
    }
  }
  // The buttons carry more than the URL (the new repository's name); their renderer owns them.
  if (existsSync(join(root, RENDERER))) {
    const before = new Map(BUTTON_FILES.map((file) => [file, readIfThere(join(root, file))]));
    execFileSync(process.execPath, [join(root, RENDERER)], { cwd: root });
    for (const [file, text] of before) {
      if (readIfThere(join(root, file)) !== text) changed.add(file);
    }
  }
  if (existsSync(join(root, MARKER))) {
    git(root, ["rm", "--quiet", MARKER]);
    changed.add(MARKER);
  }
  return { from, to, changed: [...changed].sort(), stuck };
}

export function commitMessage(from, to) {
  return `Make this repository ${to}'s own (was the template ${from})

package.json "repository", the Deploy to Vercel buttons and links now point at
https://github.com/${to}. ${MARKER} is deleted, so the first-run
workflow stops here. Written by tooling/template/bin/set-repository.mjs.`;
}

function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { commit: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    console.error(`repository:set: ${error.message} — ${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(`repository:set: give exactly one <owner/repo> — ${USAGE}`);
    return 2;
  }
  try {
    const to = parseRepository(parsed.positionals[0]).slug;
    const from = currentRepository(ROOT);
    if (from.toLowerCase() === to.toLowerCase()) {
      console.log(`package.json already names ${to}: nothing to do.`);
      return 0;
    }
    const result = setRepository(ROOT, to, from);
    if (parsed.values.commit && result.changed.length > 0) {
      git(ROOT, ["add", "--", ...result.changed.filter((f) => existsSync(join(ROOT, f)))]);
      git(ROOT, ["commit", "--quiet", "-m", commitMessage(from, to)]);
    }
    console.log(`${from} → ${to}: ${result.changed.join(", ") || "no file named it"}`);
    for (const file of result.stuck) {
      console.error(
        `warning: ${file} still names ${from}; edit it by hand (a workflow token may not)`,
      );
    }
    return 0;
  } catch (error) {
    console.error(
      `repository:set: ${error.message}${error instanceof UsageError ? ` — ${USAGE}` : ""}`,
    );
    return error instanceof UsageError ? 2 : 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
