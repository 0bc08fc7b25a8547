// P7's size figures: what a Vercel function deploys, by where each byte comes from. Traced files
// under node_modules name their package; the bundler's chunks (.next/server/**) mix many modules
// into one file, so their bytes are split by the source map Next writes beside each chunk (never
// traced, never deployed): a span of generated code belongs to the source its mapping names.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { PROJECT_SETTINGS } from "./build";
import type { OutputFunction } from "./functions";

/** The app's folder in the checkout (`apps/web`), where its `.next` output is. */
const APP_DIR = PROJECT_SETTINGS.rootDirectory;

/** Bytes of one origin (a package, the app's code, the bundler's runtime) inside one file. */
export interface Piece {
  /** The file's path inside the function. */
  file: string;
  /** Its path in the checkout (traced files only). */
  inCheckout?: string;
  /** `@smithy/core`, `@repo/aws-auth`, `(bundler runtime)`, … */
  origin: string;
  /** The package's version when the path names one (pnpm's `.pnpm/<name>@<version>` folder). */
  version?: string;
  /** For a package: the path inside it (`dist-es/…`, `dist-cjs/…`). */
  within?: string;
  /** In a bundler chunk (true) or a file of its own, e.g. under node_modules (false). */
  bundled: boolean;
  bytes: number;
}

export interface FunctionContents {
  name: string;
  /** The URL paths this function serves (Vercel groups routes into one function). */
  routes: string[];
  folderFiles: number;
  folderBytes: number;
  tracedFiles: number;
  /**
   * Traced symlinks (pnpm's links between packages): deployed as links, so counted by their own
   * size, not their target directory's.
   */
  tracedLinks: number;
  tracedBytes: number;
  pieces: Piece[];
}

const RUNTIME = "(bundler runtime)";
const UNMAPPED = "(unmapped: bundler glue)";
const NEXT_OUTPUT = `${APP_DIR}/.next (manifests, route entries)`;

/** The package a checkout-relative path belongs to, and its version when the path says. */
async function originOf(
  path: string,
  checkoutRoot: string,
): Promise<{ origin: string; version?: string; within?: string }> {
  const inModules = path.lastIndexOf("node_modules/");
  if (inModules >= 0) {
    const parts = path.slice(inModules + "node_modules/".length).split("/");
    const name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
    // node_modules/.pnpm/@smithy+core@3.41.1/node_modules/@smithy/core/…
    const store = /node_modules\/\.pnpm\/([^/]+)\//.exec(path)?.[1];
    const prefix = `${name.replace("/", "+")}@`;
    const version = store?.startsWith(prefix)
      ? store.slice(prefix.length).split("_")[0]
      : undefined;
    const within = parts.slice(name.split("/").length).join("/");
    return { origin: name, version, within };
  }
  if (path.startsWith(`${APP_DIR}/.next/`)) return { origin: NEXT_OUTPUT };
  const workspace = /^((?:packages|apps|tooling|infra)\/[^/]+)\//.exec(path)?.[1];
  if (workspace) return { origin: await workspaceName(join(checkoutRoot, workspace)) };
  return { origin: path };
}

const workspaceNames = new Map<string, Promise<string>>();
function workspaceName(dir: string): Promise<string> {
  let name = workspaceNames.get(dir);
  if (!name) {
    name = readFile(join(dir, "package.json"), "utf8")
      .then((text) => (JSON.parse(text) as { name?: string }).name ?? dir)
      .catch(() => dir);
    workspaceNames.set(dir, name);
  }
  return name;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** One source-map segment's numbers (Base64 VLQ, as the source map spec encodes them). */
function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

interface RawMap {
  sources?: string[];
  sourceRoot?: string;
  mappings?: string;
  sections?: { offset: { line: number; column: number }; map: RawMap }[];
}

/** Where generated code starts mapping to a source (undefined: to none). */
interface Mark {
  line: number;
  column: number;
  source?: string;
}

function marksOf(map: RawMap, offset = { line: 0, column: 0 }): Mark[] {
  if (map.sections) {
    return map.sections.flatMap((section) =>
      marksOf(section.map, {
        line: offset.line + section.offset.line,
        column: section.offset.column,
      }),
    );
  }
  const sources = (map.sources ?? []).map((source) => `${map.sourceRoot ?? ""}${source}`);
  const marks: Mark[] = [];
  let sourceIndex = 0;
  (map.mappings ?? "").split(";").forEach((line, lineIndex) => {
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const [columnDelta = 0, sourceDelta] = decodeSegment(segment);
      column += columnDelta;
      if (sourceDelta !== undefined) sourceIndex += sourceDelta;
      marks.push({
        line: offset.line + lineIndex,
        column: (lineIndex === 0 ? offset.column : 0) + column,
        source: sourceDelta === undefined ? undefined : sources[sourceIndex],
      });
    }
  });
  return marks;
}

/**
 * Bytes of `code` per source its map names (undefined: code mapped to no source). Columns count
 * UTF-16 units, so a character a mapping boundary splits may land a byte or two apart.
 */
function bytesBySource(code: string, map: RawMap): Map<string | undefined, number> {
  const totals = new Map<string | undefined, number>();
  const add = (source: string | undefined, text: string) =>
    totals.set(source, (totals.get(source) ?? 0) + Buffer.byteLength(text));
  const byLine = new Map<number, Mark[]>();
  for (const mark of marksOf(map)) {
    const marks = byLine.get(mark.line) ?? [];
    marks.push(mark);
    byLine.set(mark.line, marks);
  }
  code.split("\n").forEach((text, line) => {
    const marks = (byLine.get(line) ?? []).sort((a, b) => a.column - b.column);
    add(undefined, `${text.slice(0, marks[0]?.column ?? text.length)}\n`);
    marks.forEach((mark, index) => {
      add(mark.source, text.slice(mark.column, marks[index + 1]?.column ?? text.length));
    });
  });
  // The split added a newline the file's last line may not have.
  if (!code.endsWith("\n")) totals.set(undefined, (totals.get(undefined) ?? 1) - 1);
  return totals;
}

/** A map's source as a checkout-relative path, or the bundler's own runtime. */
function sourcePath(source: string, mapDir: string, checkoutRoot: string): string {
  const project = /^turbopack:\/\/\/\[project\]\/(.*)$/.exec(source)?.[1];
  if (project !== undefined) return decodeURIComponent(project);
  if (source.startsWith("turbopack:") || source.startsWith("webpack:")) return RUNTIME;
  return relative(checkoutRoot, resolve(mapDir, decodeURIComponent(source)));
}

/** The pieces of one traced file: by its source map when it has one, else whole. */
async function piecesOf(
  inFunction: string,
  inCheckout: string,
  bytes: number,
  checkoutRoot: string,
): Promise<Piece[]> {
  const path = join(checkoutRoot, inCheckout);
  const mapFile = `${path}.map`;
  if (!inCheckout.startsWith(`${APP_DIR}/.next/`) || !existsSync(mapFile)) {
    const origin = await originOf(inCheckout, checkoutRoot);
    return [{ file: inFunction, inCheckout, ...origin, bundled: false, bytes }];
  }
  const split = bytesBySource(
    await readFile(path, "utf8"),
    JSON.parse(await readFile(mapFile, "utf8")) as RawMap,
  );
  const pieces: Piece[] = [];
  for (const [source, sourceBytes] of split) {
    const where =
      source === undefined ? UNMAPPED : sourcePath(source, dirname(mapFile), checkoutRoot);
    const origin =
      where === UNMAPPED || where === RUNTIME
        ? { origin: where }
        : await originOf(where, checkoutRoot);
    pieces.push({ file: inFunction, inCheckout, ...origin, bundled: true, bytes: sourceBytes });
  }
  return pieces;
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Everything one function deploys: its `.func` folder and its traced files, by origin. */
export async function functionContents(
  fn: OutputFunction,
  routes: string[],
  checkoutRoot: string,
): Promise<FunctionContents> {
  const pieces: Piece[] = [];
  let folderBytes = 0;
  const folder = await filesBelow(fn.sourceDir);
  for (const file of folder) {
    const bytes = (await stat(join(fn.sourceDir, file))).size;
    folderBytes += bytes;
    pieces.push({ file, origin: "(function folder: launcher, manifests)", bundled: false, bytes });
  }
  let tracedBytes = 0;
  let tracedLinks = 0;
  const traced = Object.entries(fn.config.filePathMap ?? {});
  for (const [inFunction, inCheckout] of traced) {
    const info = await lstat(join(checkoutRoot, inCheckout));
    tracedBytes += info.size;
    if (info.isSymbolicLink()) {
      tracedLinks += 1;
      pieces.push({
        file: inFunction,
        inCheckout,
        origin: "(symlinks)",
        bundled: false,
        bytes: info.size,
      });
    } else {
      pieces.push(...(await piecesOf(inFunction, inCheckout, info.size, checkoutRoot)));
    }
  }
  return {
    name: fn.name,
    routes,
    folderFiles: folder.length,
    folderBytes,
    tracedFiles: traced.length - tracedLinks,
    tracedLinks,
    tracedBytes,
    pieces,
  };
}

/**
 * The checkout paths one route needs: its entry (`route.js`) and Next's own trace of it
 * (`route.js.nft.json`). Vercel deploys the union over a function's routes; this is one route's
 * share, what it would deploy alone.
 */
export async function routeFiles(checkoutRoot: string, route: string): Promise<Set<string>> {
  const entry = join(checkoutRoot, APP_DIR, ".next", "server", "app", route, "route.js");
  const trace = JSON.parse(await readFile(`${entry}.nft.json`, "utf8")) as { files: string[] };
  const files = new Set([relative(checkoutRoot, entry)]);
  for (const file of trace.files) files.add(relative(checkoutRoot, resolve(dirname(entry), file)));
  return files;
}

/**
 * Package names reachable from a package's dependencies (Node's resolution, pnpm's layout),
 * leaving out `skip` and what only it reaches.
 */
export async function dependencyClosure(
  packageDir: string,
  skip: readonly string[] = [],
): Promise<Set<string>> {
  const seen = new Set<string>();
  const visited = new Set<string>();
  const queue = [await realpath(packageDir)];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (visited.has(dir)) continue;
    visited.add(dir);
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const name of Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
    })) {
      if (skip.includes(name)) continue;
      const found = await findPackage(dir, name);
      if (!found) continue;
      seen.add(name);
      queue.push(found);
    }
  }
  return seen;
}

async function findPackage(from: string, name: string): Promise<string | undefined> {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpath(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

export interface OriginBytes {
  origin: string;
  versions: string[];
  bytes: number;
  /** Of `bytes`, in bundler chunks. */
  bundledBytes: number;
  /** Files holding some of it. */
  files: number;
}

/** Pieces summed by origin, largest first. */
export function byOrigin(pieces: Piece[]): OriginBytes[] {
  const totals = new Map<string, { entry: OriginBytes; files: Set<string> }>();
  for (const piece of pieces) {
    let total = totals.get(piece.origin);
    if (!total) {
      const entry = { origin: piece.origin, versions: [], bytes: 0, bundledBytes: 0, files: 0 };
      total = { entry, files: new Set() };
      totals.set(piece.origin, total);
    }
    const { entry, files } = total;
    entry.bytes += piece.bytes;
    if (piece.bundled) entry.bundledBytes += piece.bytes;
    files.add(piece.file);
    entry.files = files.size;
    if (piece.version && !entry.versions.includes(piece.version))
      entry.versions.push(piece.version);
  }
  return [...totals.values()].map(({ entry }) => entry).sort((a, b) => b.bytes - a.bytes);
}

/**
 * Packages a function holds twice: in two versions, or as two builds of one version — inlined
 * into chunks from one folder of the package (`dist-es`) and deployed as files from another
 * (`dist-cjs`), which happens when the bundler inlines a package for one import and leaves it
 * external for another. A package whose bundled and file parts share a folder (Next's `dist`)
 * is one copy split between chunks and files, not two.
 */
export function duplicates(pieces: Piece[]): OriginBytes[] {
  const packaged = pieces.filter((piece) => piece.version !== undefined);
  const folders = new Map<string, { bundled: Set<string>; files: Set<string> }>();
  for (const piece of packaged) {
    const entry = folders.get(piece.origin) ?? { bundled: new Set(), files: new Set() };
    const folder = piece.within?.split("/")[0] ?? "";
    (piece.bundled ? entry.bundled : entry.files).add(folder);
    folders.set(piece.origin, entry);
  }
  const twoBuilds = (origin: string) => {
    const entry = folders.get(origin);
    if (!entry || entry.bundled.size === 0 || entry.files.size === 0) return false;
    return [...entry.bundled].every((folder) => !entry.files.has(folder));
  };
  return byOrigin(packaged).filter((entry) => entry.versions.length > 1 || twoBuilds(entry.origin));
}

/**
 * Chunks a function holds more than once under different names: Turbopack writes a route's
 * chunks per route, so the routes Vercel groups into one function can each bring the same code.
 * Compared without the trailing `sourceMappingURL` comment, the only line that names the file.
 */
export async function repeatedChunks(
  contents: FunctionContents,
  checkoutRoot: string,
): Promise<{ copies: number; bytes: number }> {
  const seen = new Set<string>();
  let copies = 0;
  let bytes = 0;
  const chunks = new Set(
    contents.pieces
      .map((piece) => piece.inCheckout)
      .filter((path): path is string => !!path?.startsWith(`${APP_DIR}/.next/server/`))
      .filter((path) => path.endsWith(".js")),
  );
  for (const path of chunks) {
    const code = await readFile(join(checkoutRoot, path), "utf8");
    const body = code.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, "");
    const key = createHash("sha256").update(body).digest("hex");
    if (seen.has(key)) {
      copies += 1;
      bytes += Buffer.byteLength(code);
    }
    seen.add(key);
  }
  return { copies, bytes };
}
