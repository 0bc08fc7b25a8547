// Each optional part removed alone from a fresh copy of the repository: its files, scripts and
// doc mentions are gone, a second run changes nothing, and what is left installs offline,
// typechecks, passes Biome and the docs check. (The copy trimmed to the core also builds and runs
// the unit tests: trim-core.test.ts.)

import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { optionalParts } from "../lib/parts.mjs";
import {
  expectChecksPass,
  expectRemoved,
  installedCopy,
  TEMPLATE,
  trim,
} from "../test/helpers/trim";

describe.each(optionalParts(TEMPLATE) as string[])("pnpm template:trim %s, alone", (part) => {
  let repo = "";
  let output = "";
  beforeAll(() => {
    repo = installedCopy();
    const result = trim(repo, part);
    output = result.output;
    expect(result.code, output).toBe(0);
  });
  afterAll(() => repo && rmSync(repo, { recursive: true, force: true }));

  it("says what it removes, and removes the part's files, scripts and mentions", () => {
    expect(output).toContain(`Removing ${part}:`);
    for (const path of TEMPLATE.parts[part]?.paths ?? [])
      expect(output).toContain(`delete  ${path}`);
    expectRemoved(repo, [part]);
  });

  it("leaves a repository that typechecks, passes Biome and the docs check", () => {
    expectChecksPass(repo);
  });
});
