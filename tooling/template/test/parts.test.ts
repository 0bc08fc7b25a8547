// tooling/template/parts.json against the repository, without a copy: every part it names exists,
// every declared edit still finds its text, every Markdown marker names an optional part and is
// closed, docs/make-it-yours.md shows its table, and the command refuses what it must. (The trims
// themselves run in copies: test-copy/.)

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { blockCommands, dropMarked, markedParts } from "../lib/markers.mjs";
import { optionalParts, PartsError, partsTable, resolveParts } from "../lib/parts.mjs";
import { ROOT } from "../lib/root.mjs";
import { applyEdit, repositoryFiles } from "../lib/trim.mjs";
import { TEMPLATE, TRIM } from "./helpers/trim";

interface Edit {
  file: string;
  dropLines?: string;
  replace?: string;
  with?: string;
  dropTest?: string;
}
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const parts = TEMPLATE.parts as Record<
  string,
  {
    core?: boolean;
    summary: string;
    paths: string[];
    edits?: Edit[];
    needs?: string[];
    run?: { file: string; block: string };
  }
>;

describe("parts.json, read against the repository", () => {
  it("names every workspace in exactly one part, and every path it names exists", () => {
    const workspaces = repositoryFiles(ROOT)
      .filter((file: string) => file.endsWith("/package.json") && !file.includes("node_modules"))
      .map((file: string) => dirname(file));
    for (const dir of workspaces) {
      const owners = Object.keys(parts).filter((name) => parts[name]?.paths.includes(dir));
      expect({ dir, owners: owners.length }).toEqual({ dir, owners: 1 });
    }
    for (const [name, part] of Object.entries(parts)) {
      expect(part.summary, name).toBeTruthy();
      for (const path of part.paths)
        expect(existsSync(join(ROOT, path)), `${name}: ${path}`).toBe(true);
      for (const need of part.needs ?? [])
        expect(parts[need]?.core, `${name} needs ${need}`).toBe(false);
    }
    for (const name of TEMPLATE.trimmed) expect(parts).not.toHaveProperty(name);
  });

  it("each declared edit still finds its text (a drifted one would silently do nothing)", () => {
    for (const [name, part] of Object.entries(parts)) {
      for (const edit of part.edits ?? []) {
        const text = read(edit.file);
        const label = `${name}: ${edit.file} ${JSON.stringify(edit).slice(0, 80)}`;
        expect(applyEdit(text, edit), label).not.toBe(text);
        if (edit.replace !== undefined) expect(text.split(edit.replace).length, label).toBe(2);
      }
      if (part.run)
        expect(blockCommands(read(part.run.file), part.run.block)?.length).toBeGreaterThan(0);
    }
  });

  it("every part marker in the Markdown names an optional part and is closed", () => {
    const optional = optionalParts(TEMPLATE) as string[];
    const seen = new Set<string>();
    for (const doc of repositoryFiles(ROOT).filter((file: string) => file.endsWith(".md"))) {
      for (const { name, balanced } of markedParts(read(doc))) {
        expect({ doc, name, known: optional.includes(name), balanced }).toEqual({
          doc,
          name,
          known: true,
          balanced: true,
        });
        seen.add(name);
      }
    }
    expect([...seen].sort()).toEqual([...optional].sort());
  });

  it("docs/make-it-yours.md shows exactly the table the manifest gives", () => {
    const doc = read("docs/make-it-yours.md");
    const start = doc.indexOf("-->", doc.indexOf("<!-- parts:start")) + 3;
    expect(doc.slice(start, doc.indexOf("<!-- parts:end -->")).trim()).toBe(partsTable(TEMPLATE));
  });
});

describe("choosing parts", () => {
  it("refuses an unknown part with the list, and a core part", () => {
    const list = (optionalParts(TEMPLATE) as string[]).join(", ") || "none left";
    expect(() => resolveParts(TEMPLATE, ["benchmarks"])).toThrow(
      `"benchmarks" is not a part of this template; the optional parts: ${list}`,
    );
    expect(() => resolveParts(TEMPLATE, ["web"])).toThrow(/"web" \(apps\/web\) is core/);
    expect(() => resolveParts(TEMPLATE, ["web"])).toThrow(PartsError);
  });

  it("refuses to remove a part another one needs, naming it; both together are fine", () => {
    const manifest = {
      parts: {
        report: { core: false, summary: "r", paths: ["r"], needs: ["bench"] },
        bench: { core: false, summary: "b", paths: ["b"] },
      },
      trimmed: ["old"],
    };
    expect(() => resolveParts(manifest, ["bench"])).toThrow(
      "report needs bench: remove it too (pnpm template:trim bench report) or keep bench",
    );
    expect(resolveParts(manifest, ["bench", "report", "old"])).toEqual({
      remove: ["bench", "report"],
      already: ["old"],
    });
  });

  it("the command: a dry run in this repository changes nothing; bad names exit 2", () => {
    const status = () =>
      execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" });
    const before = status();
    // An optional part this repository has; in a copy trimmed to the core, one it removed.
    const [part = ""] = optionalParts(TEMPLATE) as string[];
    const name = part || TEMPLATE.trimmed[0] || "";
    const dry = spawnSync("node", [TRIM, name, "--dry-run"], { cwd: ROOT, encoding: "utf8" });
    expect(dry.status, dry.stderr).toBe(0);
    if (part) {
      expect(dry.stdout).toContain(`Would remove ${part}:`);
      expect(dry.stdout).toContain("edit    tooling/template/parts.json");
    } else expect(dry.stdout).toBe(`${name}: already removed\n`);
    expect(status()).toBe(before);
    const unknown = spawnSync("node", [TRIM, "nope"], { cwd: ROOT, encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("is not a part of this template; the optional parts:");
    expect(spawnSync("node", [TRIM], { cwd: ROOT, encoding: "utf8" }).status).toBe(2);
  });
});

describe("the Markdown markers", () => {
  it("drop inline spans, and whole lines with one blank line kept", () => {
    const text = [
      "`a`<!-- part:x -->, `b`<!-- /part:x --> and `c`.",
      "",
      "<!-- part:x -->",
      "gone",
      "<!-- /part:x -->",
      "",
      "- kept",
      "<!-- part:x -->- gone<!-- /part:x -->",
      "- kept <!-- part:y -->too<!-- /part:y -->",
    ].join("\n");
    expect(dropMarked(text, "x")).toBe(
      ["`a` and `c`.", "", "- kept", "- kept <!-- part:y -->too<!-- /part:y -->"].join("\n"),
    );
    expect(markedParts(text)).toEqual([
      { name: "x", balanced: true },
      { name: "y", balanced: true },
    ]);
  });

  it("dropTest removes one test by its title, and nothing when it is gone", () => {
    const source =
      'it("keeps", () => {\n  a();\n});\n\nit("goes away", () => {\n  b();\n});\n\nit("stays", () => {});\n';
    const once = applyEdit(source, { file: "x", dropTest: "goes away" });
    expect(once).toBe('it("keeps", () => {\n  a();\n});\n\nit("stays", () => {});\n');
    expect(applyEdit(once, { file: "x", dropTest: "goes away" })).toBe(once);
  });
});
