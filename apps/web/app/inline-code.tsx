import type { ReactNode } from "react";

/** Renders `backticked` spans of the explainer's and the findings' prose as code. */
export function InlineCode({ text }: { text: string }): ReactNode {
  const parts = text.split("`");
  // An unpaired backtick is just a character.
  if (parts.length % 2 === 0) return text;
  return parts.map((part, index) => (index % 2 === 1 ? <code key={index}>{part}</code> : part));
}
