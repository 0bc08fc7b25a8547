// A repository made from the template, installed, with `pnpm template:trim` run in it; and what
// must hold of it afterwards, whichever parts went.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { readParts } from "../../lib/parts.mjs";
import { ROOT } from "../../lib/root.mjs";
import { cloneAsCreated, git, runIn } from "./clone";

interface Part {
  core?: boolean;
  paths: string[];
  scripts?: Record<string, string[]>;
  mentions?: string[];
  run?: { file: string; block: string };
}
export const TEMPLATE = readParts(ROOT) as { parts: Record<string, Part>; trimmed: string[] };

export const TRIM = "tooling/template/bin/trim.mjs";

/** A fresh copy with its dependencies installed from the store, as a user has it before trimming. */
export function installedCopy(): string {
  const repo = cloneAsCreated();
  runIn(repo, "pnpm", ["install", "--offline", "--frozen-lockfile"]);
  return repo;
}

/** `pnpm template:trim` in the copy: its exit code and what it printed. */
export function trim(repo: string, ...args: string[]) {
  try {
    return { code: 0, output: runIn(repo, "node", [TRIM, ...args], 600_000) };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    return { code: failed.status ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

/** The parts' files, scripts, lockfile entries and doc mentions are gone; a second run changes nothing. */
export function expectRemoved(repo: string, names: string[]) {
  const read = (path: string) => readFileSync(join(repo, path), "utf8");
  const gone = names.flatMap((name) => TEMPLATE.parts[name]?.paths ?? []);
  for (const path of gone)
    expect({ path, exists: existsSync(join(repo, path)) }).toEqual({ path, exists: false });

  const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
  for (const name of names) {
    for (const script of TEMPLATE.parts[name]?.scripts?.["package.json"] ?? []) {
      expect(scripts, script).not.toHaveProperty(script);
    }
  }
  for (const [script, command] of Object.entries(scripts)) {
    for (const path of gone) expect(command, script).not.toContain(path);
  }
  const lock = read("pnpm-lock.yaml");
  for (const path of gone) expect(lock).not.toMatch(new RegExp(`^  ${path}:$`, "m"));

  const docs = git(repo, "ls-files", "--cached", "--others", "--exclude-standard", "*.md")
    .split("\n")
    .filter((file) => file && existsSync(join(repo, file)));
  // The shell blocks parts run (the demo's removal) may name paths another part removed: `rm -rf`
  // of a missing path is no error, and the block stays as the docs write it.
  const blocks = Object.values(TEMPLATE.parts).flatMap((part) =>
    part.run ? [part.run.block] : [],
  );
  const withoutBlocks = (text: string) =>
    blocks.reduce(
      (rest, block) =>
        rest.replace(new RegExp(`<!-- ${block}:start[\\s\\S]*?<!-- ${block}:end -->`), ""),
      text,
    );
  for (const doc of docs) {
    const text = withoutBlocks(read(doc));
    for (const name of names) {
      for (const mention of TEMPLATE.parts[name]?.mentions ?? []) {
        expect(text.includes(mention), `${doc} still names ${mention}`).toBe(false);
      }
      expect(text, doc).not.toContain(`part:${name} -->`);
    }
  }
  const parts = JSON.parse(read("tooling/template/parts.json")) as typeof TEMPLATE;
  for (const name of names) {
    expect(parts.parts).not.toHaveProperty(name);
    expect(parts.trimmed).toContain(name);
  }

  const before = git(repo, "status", "--porcelain");
  const again = trim(repo, ...names);
  expect(again.code, again.output).toBe(0);
  for (const name of names) expect(again.output).toContain(`${name}: already removed`);
  expect(git(repo, "status", "--porcelain")).toBe(before);
}

/** Runs a check in the copy; a failure carries the end of what it printed. */
export function check(repo: string, command: string, args: string[]) {
  try {
    return runIn(repo, command, args, 1_200_000);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    const output = `${failed.stdout ?? ""}\n${failed.stderr ?? ""}`.trim().slice(-4000);
    throw new Error(`${command} ${args.join(" ")} failed in ${repo}:\n${output}`);
  }
}

export const turbo = (repo: string, ...tasks: string[]) =>
  check(repo, "pnpm", ["exec", "turbo", "run", ...tasks, "--output-logs=errors-only"]);

/** Typecheck every workspace left, Biome as CI runs it, and the docs against the code. */
export function expectChecksPass(repo: string) {
  turbo(repo, "typecheck");
  check(repo, "pnpm", ["exec", "biome", "ci", "."]);
  check(repo, "pnpm", ["--filter", "@repo/docs", "exec", "vitest", "run"]);
}
