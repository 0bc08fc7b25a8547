// Every explained error links its own section of this package's README, and a copy links the
// README of the commit it was made from.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeCopy } from "../scripts/copy.mjs";
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
    expect(README_URL).toMatch(
      /^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/main\/packages\/aws-auth\/README\.md$/,
    );
  });

  it("a copy links the README of the commit it was made from", () => {
    const dir = mkdtempSync(join(tmpdir(), "aws-auth-docs-link-"));
    try {
      writeCopy(join(dir, "copy"));
      const commit = execFileSync("git", ["rev-parse", "HEAD"], {
        cwd: PACKAGE,
        encoding: "utf8",
      }).trim();
      const copied = readFileSync(join(dir, "copy", "src", "docs-link.ts"), "utf8");
      expect(copied).toContain(`/blob/${commit}/packages/aws-auth/README.md`);
      expect(copied).not.toContain("/blob/main/");
      // The copy keeps the README the links point into.
      expect(readdirSync(join(dir, "copy"))).toContain("README.md");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
