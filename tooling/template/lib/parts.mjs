// The template's parts, as tooling/template/parts.json declares them: which are core, what each
// optional one removes, and which must go together. Read by `pnpm template:trim` and its tests.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const MANIFEST = "tooling/template/parts.json";

export class PartsError extends Error {}

/** The manifest of the repository at `root`. */
export function readParts(root) {
  return JSON.parse(readFileSync(join(root, MANIFEST), "utf8"));
}

export function writeParts(root, manifest) {
  writeFileSync(join(root, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

export const optionalParts = (manifest) =>
  Object.keys(manifest.parts).filter((name) => !manifest.parts[name].core);

/**
 * The parts to remove for the names a user gave: each one known and optional, and no part that
 * stays needing one that goes. Names already trimmed are returned apart (nothing left to do).
 */
export function resolveParts(manifest, names) {
  const trimmed = new Set(manifest.trimmed ?? []);
  const known = optionalParts(manifest);
  const list = `the optional parts: ${known.join(", ") || "none left"}`;
  const already = [];
  const remove = [];
  for (const name of new Set(names)) {
    const part = manifest.parts[name];
    if (trimmed.has(name) && !part) already.push(name);
    else if (!part) throw new PartsError(`"${name}" is not a part of this template; ${list}`);
    else if (part.core) {
      throw new PartsError(
        `"${name}" (${part.paths.join(", ")}) is core: the other parts build on it; ${list}`,
      );
    } else remove.push(name);
  }
  for (const [name, part] of Object.entries(manifest.parts)) {
    if (remove.includes(name)) continue;
    const lost = (part.needs ?? []).filter((need) => remove.includes(need));
    if (lost.length > 0) {
      throw new PartsError(
        `${name} needs ${lost.join(" and ")}: remove it too (pnpm template:trim ${[...remove, name].join(" ")}) or keep ${lost.join(" and ")}`,
      );
    }
  }
  return { remove, already };
}

/** docs/make-it-yours.md's table of the optional parts, from the manifest. */
export function partsTable(manifest) {
  const rows = optionalParts(manifest).map((name) => {
    const part = manifest.parts[name];
    const removes = [
      ...part.paths.map((path) => `\`${path}\``),
      ...(part.scripts?.["package.json"] ?? []).map((script) => `\`pnpm ${script}\``),
      ...(part.run ? [`the commands of \`${part.run.file}\`'s ${part.run.block} block`] : []),
    ];
    const needs = part.needs?.length ? ` (needs ${part.needs.join(", ")})` : "";
    const stays = part.stays ? `<br>**Stays:** ${part.stays}` : "";
    return `| \`${name}\` | ${part.summary}${needs} | ${removes.join(", ")}${stays} |`;
  });
  if (rows.length === 0) return "Every optional part is already removed.";
  return ["| part | what it is | what goes |", "|---|---|---|", ...rows].join("\n");
}

/** The core parts, one line: what `pnpm template:trim` never removes. */
export const coreParts = (manifest) =>
  Object.entries(manifest.parts)
    .filter(([, part]) => part.core)
    .map(([name, part]) => `${name} (${part.paths.join(", ")})`)
    .join(", ");

/** The Markdown between `<!-- parts:start -->` and `<!-- parts:end -->`, replaced by `content`. */
export function replaceTable(markdown, content) {
  const start = markdown.indexOf("<!-- parts:start");
  const end = markdown.indexOf("<!-- parts:end -->");
  if (start === -1 || end === -1) return markdown;
  const open = markdown.indexOf("-->", start) + 3;
  return `${markdown.slice(0, open)}\n${content}\n${markdown.slice(end)}`;
}
