// Every explained error links its own section of this package's README (a copy's links name the
// commit it was made from: test-copy/copy.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { docsLink, README_URL } from "../src/docs-link";
import { ExplainedAwsError, explainAwsError } from "../src/explain";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const README = readFileSync(join(PACKAGE, "README.md"), "utf8");
/** The "#### `code`" headings of the README: GitHub's anchor for each is the code itself. */
const documented = new Set([...README.matchAll(/^#### `([a-z-]+)`$/gm)].map((m) => m[1]));

/** The codes an ExplainedError can carry: the ones written where errors are explained. */
function errorCodes(): string[] {
  const sources = ["explain.ts", "oidc-context.ts", "provider.ts"].map((file) =>
    readFileSync(join(PACKAGE, "src", file), "utf8"),
  );
  const codes = sources.flatMap((text) => [
    ...[...text.matchAll(/code: "([a-z-]+)"/g)].map((m) => m[1] ?? ""),
    // The provider picks one of two codes in a ternary.
    ...[...text.matchAll(/"(not-configured|bad-configuration)"/g)].map((m) => m[1] ?? ""),
  ]);
  const audience = readFileSync(join(PACKAGE, "src", "audience.ts"), "utf8");
  // audience.ts also writes findings (oidc-audience-custom, …): only its exchange failure is an error.
  expect(audience).toContain('code: "oidc-audience-exchange-failed"');
  return [...new Set([...codes, "oidc-audience-exchange-failed"])].sort();
}

describe("docs links", () => {
  it("every error code has its section in the README", () => {
    const codes = errorCodes();
    expect(codes).toContain("trust-denied");
    expect(codes).toContain("bad-configuration");
    expect(codes.filter((code) => !documented.has(code))).toEqual([]);
  });

  it("explained errors carry the link to their section", () => {
    const explained = explainAwsError(
      Object.assign(new Error("Not authorized to perform sts:AssumeRoleWithWebIdentity"), {
        name: "AccessDenied",
      }),
    );
    expect(explained.code).toBe("trust-denied");
    expect(explained.docs).toBe(`${README_URL}#trust-denied`);
    const thrown = new ExplainedAwsError({
      code: "not-configured",
      title: "t",
      cause: "c",
      fixes: [],
    });
    expect(thrown.explained.docs).toBe(docsLink("not-configured"));
    // The template's main branch, or the commit a copy was made from (test-copy/copy.test.ts).
    expect(README_URL).toMatch(
      /^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/(main|[0-9a-f]{40})\/packages\/aws-auth\/README\.md$/,
    );
  });
});
