// Changes assignments in a .env file and leaves every other byte alone: comments, blank lines,
// unknown variables, order, `export` prefixes, inline comments and line endings. dotenv (which
// reads the values everywhere else) parses but cannot write a file back, and no maintained
// library edits .env text in place, hence this small line editor.

import { parse as parseDotenv } from "dotenv";

export type EnvValues = Readonly<Record<string, string>>;

export interface EnvChange {
  readonly key: string;
  /** The value before, as dotenv reads it; undefined when the file has no line for the key. */
  readonly before: string | undefined;
  readonly after: string;
}

export interface EnvEdit {
  readonly text: string;
  /** Only the keys whose value actually changes (adds included). */
  readonly changes: readonly EnvChange[];
}

// `KEY=value`, optionally `export KEY = value`; group 4 is the raw value with any inline comment.
const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/;
const SAFE_UNQUOTED = /^[A-Za-z0-9_@%+=:,./-]*$/;

export function readEnvValues(text: string): EnvValues {
  return parseDotenv(text);
}

/** A value as dotenv will read it back: bare when safe, else in quotes it does not contain
 * (dotenv does not unescape quotes, so escaping them would change the value). */
export function formatEnvValue(value: string): string {
  if (SAFE_UNQUOTED.test(value)) return value;
  if (!value.includes("'") && !value.includes("\n")) return `'${value}'`;
  if (!value.includes('"')) return `"${value.replace(/\n/g, "\\n")}"`;
  if (!value.includes("`") && !value.includes("\n")) return `\`${value}\``;
  throw new Error("A value with every kind of quote and a line break cannot be written to .env");
}

/** What follows the value on its line (an inline ` # comment`), kept when the value changes. */
function trailingComment(rawValue: string): string {
  const quote = rawValue[0];
  if (quote === '"' || quote === "'" || quote === "`") {
    const end = rawValue.indexOf(quote, 1);
    return end === -1 ? "" : rawValue.slice(end + 1);
  }
  const hash = /\s+#.*$/.exec(rawValue);
  return hash ? hash[0] : "";
}

/**
 * Sets `updates` in `text`: every line assigning one of those keys gets the new value in place;
 * keys without a line are appended at the end, each under its `comments` entry if given.
 */
export function updateEnvText(
  text: string,
  updates: EnvValues,
  comments: Readonly<Record<string, string>> = {},
): EnvEdit {
  const before = readEnvValues(text);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text === "" ? [] : text.split(/\r?\n/);
  const endsWithNewline = text === "" || /\r?\n$/.test(text);
  if (endsWithNewline && lines.length > 0) lines.pop();

  const seen = new Set<string>();
  const edited = lines.map((line) => {
    const match = ASSIGNMENT.exec(line);
    const key = match?.[2];
    if (!match || key === undefined || !(key in updates)) return line;
    seen.add(key);
    const [, prefix = "", , equals = "", rawValue = ""] = match;
    return `${prefix}${key}${equals}${formatEnvValue(updates[key] ?? "")}${trailingComment(rawValue)}`;
  });

  const missing = Object.keys(updates).filter((key) => !seen.has(key));
  if (missing.length > 0 && edited.length > 0 && edited[edited.length - 1]?.trim() !== "") {
    edited.push("");
  }
  for (const key of missing) {
    const comment = comments[key];
    if (comment) edited.push(...comment.split("\n").map((l) => `# ${l}`));
    edited.push(`${key}=${formatEnvValue(updates[key] ?? "")}`);
  }

  const changes = Object.entries(updates)
    .filter(([key, after]) => before[key] !== after || !seen.has(key))
    .map(([key, after]) => ({ key, before: seen.has(key) ? before[key] : undefined, after }));
  return { text: edited.length === 0 ? "" : `${edited.join(eol)}${eol}`, changes };
}

/** The changes as diff lines (`- KEY=old`, `+ KEY=new`), for non-secret keys only. */
export function formatEnvChanges(changes: readonly EnvChange[]): string {
  return changes
    .flatMap((change) => [
      ...(change.before !== undefined ? [`- ${change.key}=${change.before}`] : []),
      `+ ${change.key}=${change.after}`,
    ])
    .join("\n");
}
