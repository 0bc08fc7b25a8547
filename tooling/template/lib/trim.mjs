// What removing optional parts changes, computed before anything is touched (so --dry-run prints
// exactly what a run does), then applied. A part's own paths go; so does every reference to them
// the repository's tools read: scripts, workspace entries and dependencies, turbo inputs, Biome
// and ignore-file paths, workflow steps, the edits and Markdown the manifest declares.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { blockCommands, dropMarked, escapeRegExp } from "./markers.mjs";
import { MANIFEST, partsTable, replaceTable } from "./parts.mjs";

const PARTS_DOC = "docs/make-it-yours.md";
const WORKSPACES = "pnpm-workspace.yaml";
/** JSON files whose string lists name paths from the repository's root. */
const ROOT_PATH_LISTS = ["biome.json", "tooling/boundaries/boundaries.json", "turbo.json"];
const IGNORE_FILES = [".gitignore", ".vercelignore"];

/** Every file git tracks or would track, as it is on disk. */
export function repositoryFiles(root) {
  return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\0")
    .filter((file) => file && existsSync(join(root, file)));
}

/** The shell commands the parts' declared blocks run, in order (the demo's removal). */
export function partCommands(root, manifest, remove) {
  const commands = [];
  for (const name of remove) {
    const run = manifest.parts[name].run;
    if (!run || !existsSync(join(root, run.file))) continue;
    for (const command of blockCommands(readFileSync(join(root, run.file), "utf8"), run.block) ??
      []) {
      commands.push({ part: name, command });
    }
  }
  return commands;
}

/**
 * The deletions and rewrites that remove `remove` from the repository at `root`:
 * `{ deletions: string[], writes: { path, content, why: string[] }[] }`.
 */
export function trimPlan(root, manifest, remove) {
  const parts = remove.map((name) => manifest.parts[name]);
  const gone = parts.flatMap((part) => part.paths);
  const isGone = (path) => gone.some((dir) => path === dir || path.startsWith(`${dir}/`));
  const files = repositoryFiles(root).filter((file) => !isGone(file));
  const workspaceNames = gone
    .filter((path) => existsSync(join(root, path, "package.json")))
    .map((path) => JSON.parse(readFileSync(join(root, path, "package.json"), "utf8")).name);

  const texts = new Map();
  const reasons = new Map();
  const read = (path) => {
    if (!texts.has(path)) {
      texts.set(path, existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : null);
    }
    return texts.get(path);
  };
  /** Applies `change` to the file's text; `why` is kept when the text changed. */
  const edit = (path, why, change) => {
    const before = read(path);
    if (before === null || isGone(path)) return;
    const after = change(before);
    if (after === before) return;
    texts.set(path, after);
    reasons.set(path, [...(reasons.get(path) ?? []), why]);
  };
  const editJson = (path, why, change) =>
    edit(path, why, (text) => {
      const value = JSON.parse(text);
      return change(value) ? `${JSON.stringify(value, null, 2)}\n` : text;
    });

  // The parts' scripts, and dependencies on the workspaces that go.
  for (const part of parts) {
    for (const [file, scripts] of Object.entries(part.scripts ?? {})) {
      editJson(file, `scripts ${scripts.join(", ")}`, (manifestJson) => {
        const present = scripts.filter((script) => manifestJson.scripts?.[script] !== undefined);
        for (const script of present) delete manifestJson.scripts[script];
        return present.length > 0;
      });
    }
  }
  for (const file of files.filter((f) => f.endsWith("package.json"))) {
    editJson(file, `dependencies ${workspaceNames.join(", ")}`, (manifestJson) => {
      let changed = false;
      for (const field of ["dependencies", "devDependencies", "peerDependencies"]) {
        for (const name of workspaceNames) {
          if (manifestJson[field]?.[name] === undefined) continue;
          delete manifestJson[field][name];
          changed = true;
        }
      }
      return changed;
    });
  }

  edit(WORKSPACES, "workspace entries", (text) => {
    const doc = parseDocument(text);
    const packages = doc.get("packages");
    const before = packages.items.length;
    packages.items = packages.items.filter((item) => !isGone(String(item.value)));
    return packages.items.length === before ? text : doc.toString({ lineWidth: 0 });
  });

  // Paths in JSON lists: Biome's includes, the boundaries, every turbo.json's inputs.
  const pathOf = (value, rooted) => {
    const bare = value.replace(/^!/, "");
    if (bare.startsWith("$TURBO_ROOT$/")) return bare.slice("$TURBO_ROOT$/".length);
    return rooted ? bare.replace(/^\.\//, "") : undefined;
  };
  const dropPaths = (value, rooted) => {
    if (Array.isArray(value)) {
      const kept = value.filter((item) => {
        const path = typeof item === "string" ? pathOf(item, rooted) : undefined;
        return path === undefined || !isGone(path);
      });
      const changed = kept.length !== value.length;
      value.splice(0, value.length, ...kept);
      return value.map((item) => dropPaths(item, rooted)).some(Boolean) || changed;
    }
    if (value && typeof value === "object") {
      return Object.values(value)
        .map((item) => dropPaths(item, rooted))
        .some(Boolean);
    }
    return false;
  };
  for (const file of files.filter((f) => f.endsWith("turbo.json") || ROOT_PATH_LISTS.includes(f))) {
    editJson(file, "paths", (value) => dropPaths(value, ROOT_PATH_LISTS.includes(file)));
  }
  for (const file of IGNORE_FILES) {
    edit(file, "ignored paths", (text) =>
      text
        .split("\n")
        .filter(
          (line) =>
            line.startsWith("#") ||
            !line.trim() ||
            !isGone(line.replace(/^!?\//, "").replace(/^!/, "")),
        )
        .join("\n"),
    );
  }

  // Workflow steps that run what goes: a removed script, workspace or path.
  const removedScripts = parts.flatMap((part) => part.scripts?.["package.json"] ?? []);
  const runsGone = (run) =>
    removedScripts.some((script) => new RegExp(`pnpm\\s+(run\\s+)?${script}(\\s|$)`).test(run)) ||
    workspaceNames.some((name) => run.includes(name)) ||
    gone.some((path) => run.includes(path));
  for (const file of files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f))) {
    edit(file, "steps", (text) => {
      const doc = parseDocument(text);
      let changed = false;
      for (const job of doc.get("jobs")?.items ?? []) {
        const steps = job.value?.get?.("steps");
        if (!steps?.items) continue;
        const kept = steps.items.filter((step) => !runsGone(String(step.get?.("run") ?? "")));
        changed ||= kept.length !== steps.items.length;
        steps.items = kept;
      }
      return changed ? doc.toString({ lineWidth: 0 }) : text;
    });
  }

  // What the manifest declares, then the parts' Markdown.
  for (const part of parts) {
    for (const change of part.edits ?? []) {
      edit(change.file, describeEdit(change), (text) => applyEdit(text, change));
    }
  }
  for (const file of files.filter((f) => f.endsWith(".md"))) {
    for (const name of remove)
      edit(file, `${name}'s marked text`, (text) => dropMarked(text, name));
  }

  const trimmedManifest = structuredClone(manifest);
  for (const name of remove) delete trimmedManifest.parts[name];
  trimmedManifest.trimmed = [...new Set([...(manifest.trimmed ?? []), ...remove])];
  edit(
    MANIFEST,
    `parts ${remove.join(", ")}`,
    () => `${JSON.stringify(trimmedManifest, null, 2)}\n`,
  );
  edit(PARTS_DOC, "the table of optional parts", (text) =>
    replaceTable(text, partsTable(trimmedManifest)),
  );

  return {
    deletions: gone.filter((path) => existsSync(join(root, path))),
    writes: [...reasons].map(([path, why]) => ({ path, content: texts.get(path), why })),
  };
}

function describeEdit(change) {
  if ("dropLines" in change) return `lines with ${JSON.stringify(change.dropLines)}`;
  if ("dropTest" in change) return `the test "${change.dropTest}"`;
  return `${JSON.stringify(change.replace.split("\n")[0])}…`;
}

/** One declared edit; text that is already gone is no change (a second run finds nothing). */
export function applyEdit(text, change) {
  if ("dropLines" in change) {
    return text
      .split("\n")
      .filter((line) => !line.includes(change.dropLines))
      .join("\n");
  }
  if ("replace" in change) return text.split(change.replace).join(change.with);
  if ("dropTest" in change) {
    const lines = text.split("\n");
    const start = lines.findIndex((line) =>
      new RegExp(`^\\s*(it|test)\\(\\s*["'\`]${escapeRegExp(change.dropTest)}`).test(line),
    );
    if (start === -1) return text;
    const indent = /^\s*/.exec(lines[start])?.[0] ?? "";
    const end = lines.findIndex((line, index) => index > start && line === `${indent}});`);
    if (end === -1) return text;
    const blankAfter = lines[end + 1]?.trim() === "" ? 1 : 0;
    lines.splice(start, end - start + 1 + blankAfter);
    return lines.join("\n");
  }
  throw new Error(`unknown edit in ${MANIFEST}: ${JSON.stringify(change)}`);
}

/** Deletes and writes what the plan says; returns the files the formatter should see. */
export function applyPlan(root, plan) {
  for (const path of plan.deletions) rmSync(join(root, path), { recursive: true, force: true });
  for (const { path, content } of plan.writes) writeFileSync(join(root, path), content);
  return plan.writes.map((write) => write.path).filter((path) => existsSync(join(root, path)));
}

/** The repository's own formatter over the files the trim rewrote (JSON it re-serialized, tests it cut). */
export function formatWritten(root, written, manifest, remove) {
  const biome = join(root, "node_modules", ".bin", "biome");
  if (!existsSync(biome)) return false;
  const code = written.filter((path) => /\.(json|ts|tsx|mjs)$/.test(path));
  const cut = remove
    .flatMap((name) => manifest.parts[name].edits ?? [])
    .filter((change) => "dropTest" in change)
    .map((change) => change.file)
    .filter((path) => written.includes(path));
  const quiet = { cwd: root, stdio: "ignore" };
  try {
    if (cut.length > 0) {
      execFileSync(
        biome,
        ["lint", "--write", "--unsafe", "--only=correctness/noUnusedImports", ...cut],
        quiet,
      );
    }
    if (code.length > 0) execFileSync(biome, ["format", "--write", ...code], quiet);
  } catch {
    // Biome exits non-zero when something is left to fix; `pnpm lint` then names it.
  }
  return true;
}

/** Where the removed parts are still named: comments and prose the trim does not edit. */
export function leftoverMentions(root, manifest, remove) {
  const mentions = remove.flatMap((name) => manifest.parts[name].mentions ?? []);
  if (mentions.length === 0) return [];
  try {
    return execFileSync(
      "git",
      [
        "grep",
        "-n",
        "-I",
        "-F",
        ...mentions.flatMap((m) => ["-e", m]),
        "--",
        ".",
        ":!pnpm-lock.yaml",
      ],
      { cwd: root, encoding: "utf8" },
    )
      .split("\n")
      .filter(Boolean);
  } catch {
    return [];
  }
}
