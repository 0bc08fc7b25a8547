// The two kinds of marked text the template's docs carry, read the same way by the commands that
// act on them and by the tests that check them:
// - a part's prose: `<!-- part:NAME -->…<!-- /part:NAME -->`, inline or around whole lines, which
//   `pnpm template:trim NAME` deletes (HTML comments: GitHub shows nothing of the markers);
// - a shell block between `<!-- NAME:start … -->` and `<!-- NAME:end -->` (the demo's removal),
//   run line by line as written.

export const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every part a Markdown text marks, with whether each opening marker has its closing one. */
export function markedParts(markdown) {
  const found = new Map();
  for (const match of markdown.matchAll(/<!-- (\/?)part:([\w-]+) -->/g)) {
    const [, closing, name] = match;
    const count = found.get(name) ?? 0;
    found.set(name, count + (closing ? -1 : 1));
  }
  return [...found].map(([name, open]) => ({ name, balanced: open === 0 }));
}

/**
 * The text without the part's marked spans. A span that fills whole lines takes those lines with
 * it, and the blank lines around it collapse to one.
 */
export function dropMarked(markdown, part) {
  const span = new RegExp(
    `<!-- part:${escapeRegExp(part)} -->[\\s\\S]*?<!-- /part:${escapeRegExp(part)} -->`,
    "g",
  );
  let text = markdown;
  for (let match = span.exec(text); match; match = span.exec(text)) {
    const from = match.index;
    let to = from + match[0].length;
    const wholeLines =
      (from === 0 || text[from - 1] === "\n") && (to === text.length || text[to] === "\n");
    if (wholeLines) {
      to = Math.min(to + 1, text.length);
      // A blank line on both sides becomes one.
      if (text.slice(from - 2, from) === "\n\n" && text[to] === "\n") to += 1;
    }
    text = text.slice(0, from) + text.slice(to);
    span.lastIndex = from;
  }
  return text;
}

/** The non-empty lines of the shell block between `<!-- NAME:start … -->` and `<!-- NAME:end -->`. */
export function blockCommands(markdown, name) {
  const block = new RegExp(
    `<!-- ${escapeRegExp(name)}:start[^>]*-->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${escapeRegExp(name)}:end -->`,
  ).exec(markdown)?.[1];
  return block === undefined ? undefined : block.split("\n").filter((line) => line.trim() !== "");
}
