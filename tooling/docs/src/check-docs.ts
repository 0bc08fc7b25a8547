// Every README and doc names only what exists: the pnpm scripts it tells you to run, the files it
// points at, the environment variables it asks you to set, and the error codes it explains. What
// other systems define (Vercel's, GitHub's, AWS's variables) is allow-listed with its source.
// Hand-written: no Markdown linter checks names against a repository's own code; the Markdown is
// read with a few patterns (code spans, fences, links), which is all the check needs.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

export type ProblemKind = "script" | "path" | "variable" | "error-code";

export interface Problem {
  file: string;
  line: number;
  kind: ProblemKind;
  name: string;
  why: string;
}

/** pnpm's own commands (pnpm help): never a script of ours. */
const PNPM_BUILTINS = new Set([
  "add",
  "approve-builds",
  "audit",
  "config",
  "clean",
  "create",
  "deploy",
  "dlx",
  "doctor",
  "env",
  "exec",
  "help",
  "i",
  "init",
  "install",
  "link",
  "list",
  "ls",
  "outdated",
  "pack",
  "publish",
  "rebuild",
  "remove",
  "setup",
  "store",
  "update",
  "why",
]);

/** The repository's files git tracks or would track (never node_modules, build output, .env). */
export function repositoryFiles(root: string): string[] {
  return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\0")
    .filter((file) => file && existsSync(join(root, file)));
}

interface Workspace {
  dir: string;
  name: string;
  scripts: Set<string>;
}

function workspaces(root: string, files: string[]): Workspace[] {
  return files
    .filter((file) => file.endsWith("package.json"))
    .map((file) => {
      const manifest = JSON.parse(readFileSync(join(root, file), "utf8")) as {
        name?: string;
        scripts?: Record<string, string>;
      };
      return {
        dir: dirname(file),
        name: manifest.name ?? "",
        scripts: new Set(Object.keys(manifest.scripts ?? {})),
      };
    });
}

/** Code spans and fenced code, with their line numbers; link targets too. */
function codeOf(text: string): { code: string; line: number; link: boolean }[] {
  const pieces: { code: string; line: number; link: boolean }[] = [];
  let fenced = false;
  text.split("\n").forEach((line, index) => {
    const number = index + 1;
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (fenced) {
      pieces.push({ code: line, line: number, link: false });
      return;
    }
    for (const match of line.matchAll(/`([^`]+)`/g)) {
      pieces.push({ code: match[1] ?? "", line: number, link: false });
    }
    for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      pieces.push({ code: match[1] ?? "", line: number, link: true });
    }
  });
  return pieces;
}

export interface CheckOptions {
  /** Variables other systems define, each with where it is documented. */
  externalVariables: Readonly<Record<string, string>>;
  /** Paths the docs name that commands create (build output, caches), each with what creates it. */
  generatedPaths: Readonly<Record<string, string>>;
}

export function checkDocs(root: string, options: CheckOptions): Problem[] {
  const files = repositoryFiles(root);
  // This workspace's own README shows the patterns it looks for, as examples.
  const docs = files.filter((file) => file.endsWith(".md") && !file.startsWith("tooling/docs/"));
  const sources = files.filter(
    (file) =>
      !file.endsWith(".md") &&
      /\.(ts|tsx|mjs|cjs|js|json|ya?ml|sh)$|^\.ci\/run$|\.env\.example$/.test(file) &&
      !file.startsWith("tooling/docs/"),
  );
  // Other test runs may plant and remove files meanwhile: one gone since the listing reads as empty.
  const read = (file: string) => {
    try {
      return readFileSync(join(root, file), "utf8");
    } catch {
      return "";
    }
  };
  const sourceText = sources.map(read).join("\n");
  const packages = workspaces(root, files);
  const rootScripts = packages.find((pkg) => pkg.dir === ".")?.scripts ?? new Set<string>();
  const problems: Problem[] = [];

  for (const doc of docs) {
    const text = read(doc);
    const docDir = dirname(doc);
    // The workspace a doc belongs to: paths in it may be relative to that workspace.
    const home =
      packages
        .filter(
          (pkg) => pkg.dir !== "." && (docDir === pkg.dir || docDir.startsWith(`${pkg.dir}/`)),
        )
        .sort((a, b) => b.dir.length - a.dir.length)[0]?.dir ?? ".";
    const report = (line: number, kind: ProblemKind, name: string, why: string) =>
      problems.push({ file: doc, line, kind, name, why });

    for (const { code, line, link } of codeOf(text)) {
      if (link) {
        checkLink(root, docDir, code, (why) => report(line, "path", code, why));
        continue;
      }
      const homeScripts = packages.find((pkg) => pkg.dir === home)?.scripts ?? new Set<string>();
      checkScripts(code, rootScripts, homeScripts, packages, (name, why) =>
        report(line, "script", name, why),
      );
      checkPath(root, docDir, home, code, options.generatedPaths, (why) =>
        report(line, "path", code, why),
      );
      checkVariables(code, sourceText, options.externalVariables, (name) =>
        report(
          line,
          "variable",
          name,
          "no source file reads or sets it, and it is not allow-listed",
        ),
      );
    }
    // Error codes are written as (`the-code`) after the message they explain.
    text.split("\n").forEach((lineText, index) => {
      for (const match of lineText.matchAll(/\(`([a-z]+(?:-[a-z0-9]+)+)`\)/g)) {
        const code = match[1] ?? "";
        if (!sourceText.includes(`"${code}"`)) {
          report(index + 1, "error-code", code, "no source file defines this code");
        }
      }
    });
  }
  return problems;
}

function checkLink(root: string, docDir: string, target: string, fail: (why: string) => void) {
  if (/^(https?:|mailto:|#)/.test(target)) return;
  const path = target.split("#")[0] ?? "";
  if (!path) return;
  const resolved = normalize(join(docDir, path));
  if (resolved.startsWith("..") || !existsSync(join(root, resolved))) {
    fail(`the link points at ${resolved}, which does not exist`);
  }
}

function checkScripts(
  code: string,
  rootScripts: Set<string>,
  homeScripts: Set<string>,
  packages: Workspace[],
  fail: (name: string, why: string) => void,
) {
  const pattern =
    /(?:^|[\s;&|(`])pnpm\s+(?:(?:--silent|-s|--offline|--frozen-lockfile)\s+)*(?:(?:--filter|-F)[= ](\S+)\s+)?(?:run\s+)?([a-z][\w:.-]*)(\*)?/g;
  for (const match of code.matchAll(pattern)) {
    const [, filter, script = "", glob] = match;
    if (PNPM_BUILTINS.has(script)) continue;
    const has = (scripts: Set<string>) =>
      glob ? [...scripts].some((name) => name.startsWith(script)) : scripts.has(script);
    if (filter) {
      const pkg = packages.find((candidate) => candidate.name === filter);
      if (!pkg) fail(`${filter} ${script}`, `no workspace is named ${filter}`);
      else if (!has(pkg.scripts)) fail(`${filter} ${script}`, `${filter} has no such script`);
    } else if (!has(rootScripts) && !has(homeScripts)) {
      // In a workspace's README, `pnpm <script>` may be that workspace's own.
      fail(script, "neither the root package.json nor this doc's workspace has such a script");
    }
  }
}

function checkPath(
  root: string,
  docDir: string,
  home: string,
  code: string,
  generated: Readonly<Record<string, string>>,
  fail: (why: string) => void,
) {
  // A path: no spaces or placeholders, at least one slash, starting at a folder that exists.
  if (!/^\.?[\w@.-]+(\/[\w@.[\]-]+)+\/?$/.test(code) || /^(@|\.\.\/)/.test(code)) return;
  const first = code.replace(/^\.\//, "").split("/")[0] ?? "";
  const bases = [...new Set([".", home, docDir])];
  const rooted = bases.filter((base) => isDirectory(join(root, base, first)));
  if (rooted.length === 0) return;
  // An import subpath (`./test-kit/sandbox`) names its file without the extension.
  const exists = (path: string) =>
    ["", ".ts", ".tsx", ".mjs", ".json"].some((ext) => existsSync(`${path}${ext}`));
  if (rooted.some((base) => exists(join(root, base, code)))) return;
  const bare = code.replace(/\/$/, "");
  const normalized = relative(".", join(home, bare));
  if (bare in generated || normalized in generated) return;
  fail(`no such file or folder (from ${rooted.map((base) => base || ".").join(" or ")})`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function checkVariables(
  code: string,
  sourceText: string,
  external: Readonly<Record<string, string>>,
  fail: (name: string) => void,
) {
  // A whole span that is a variable, or NAME=value (a span, or a line of a fenced block).
  const names = new Set<string>();
  const whole = /^\$?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$/.exec(code.trim());
  if (whole?.[1]) names.add(whole[1]);
  for (const match of code.matchAll(
    /(?:^|[\s`(])(?:export\s+)?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=/g,
  )) {
    if (match[1]) names.add(match[1]);
  }
  for (const name of names) {
    if (name in external) continue;
    if (!new RegExp(`\\b${name}\\b`).test(sourceText)) fail(name);
  }
}
