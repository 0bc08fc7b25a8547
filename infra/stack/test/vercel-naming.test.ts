// The naming rules and everything the CLIs load through the configuration stay free of the CDK:
// config, setup, verify and trust:check's argument handling never pay for aws-cdk-lib.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  environmentNameProblem,
  environmentSuffix,
  providerArnProblem,
  vercelIssuer,
  vercelSubject,
} from "../src/vercel-naming";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** Every module reachable from `entry` through relative imports, and the packages they import. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    const text = readFileSync(file, "utf8");
    // Runtime imports only: `import type` is erased before anything loads.
    const runtime = text.replace(/^import type [^;]+;/gm, "");
    for (const [, source = ""] of runtime.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      if (source.startsWith(".")) visit(join(dirname(file), `${source}.ts`));
      else packages.add(source);
    }
  };
  visit(join(SRC, entry));
  return { files, packages };
}

describe("the CDK-free modules", () => {
  for (const entry of ["vercel-naming.ts", "config.ts", "cli.ts", "trust/check.ts"]) {
    it(`${entry} reaches no aws-cdk-lib, constructs or cdk-nag`, () => {
      const { files, packages } = importGraph(entry);
      expect(files.length).toBeGreaterThan(0);
      for (const name of packages) expect(name).not.toMatch(/^(aws-cdk-lib|constructs|cdk-nag)/);
    });
  }
});

describe("naming rules", () => {
  it("build the issuer, aud and sub Vercel sets", () => {
    expect(vercelIssuer({ teamSlug: "acme" })).toMatchObject({
      issuerUrl: "https://oidc.vercel.com/acme",
      audience: "https://vercel.com/acme",
    });
    expect(vercelIssuer({ teamSlug: "acme", issuerMode: "global" }).issuerUrl).toBe(
      "https://oidc.vercel.com",
    );
    expect(vercelSubject("acme", "web", "preview")).toBe(
      "owner:acme:project:web:environment:preview",
    );
    expect(
      providerArnProblem(
        "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com",
        vercelIssuer({ teamSlug: "acme" }),
      ),
    ).toMatch(/team mode needs the one for https:\/\/oidc\.vercel\.com\/acme/);
  });
});

describe("Vercel environments", () => {
  it("a custom environment's sub carries its name, as the built-in ones do", () => {
    expect(vercelSubject("acme", "web", "staging")).toBe(
      "owner:acme:project:web:environment:staging",
    );
    expect(environmentSuffix("staging")).toBe("Staging");
    expect(environmentSuffix("qa-eu-1")).toBe("QaEu1");
  });

  it("accept the built-in names and Vercel's custom-environment names", () => {
    for (const name of [
      "production",
      "preview",
      "development",
      "staging",
      "qa-1",
      "a".repeat(32),
    ]) {
      expect(environmentNameProblem(name), name).toBeUndefined();
    }
  });

  it("refuse what Vercel refuses, and near misses of a built-in name, saying what to write", () => {
    expect(environmentNameProblem("Staging")).toMatch(/try "staging"/);
    expect(environmentNameProblem("Production")).toMatch(/write it "production"/);
    expect(environmentNameProblem("a".repeat(33))).toMatch(/1-32 lower-case letters/);
    expect(environmentNameProblem("qa_1")).toMatch(/not a Vercel environment/);
    expect(environmentNameProblem("prevew")).toMatch(/did you mean "preview"/);
    expect(environmentNameProblem("prod")).toMatch(/did you mean "production"/);
    expect(environmentNameProblem("")).toBe("it is empty");
  });
});
