// The .env line editor: only the given assignments change; everything else stays byte for byte,
// and dotenv reads back exactly what was set.

import { describe, expect, it } from "vitest";
import { formatEnvChanges, readEnvValues, updateEnvText } from "../../src/setup/env-file";

const FILE = [
  "# Keyless configuration",
  "VERCEL_TEAM_SLUG=acme",
  "",
  "# my own settings",
  "DATABASE_URL='postgres://localhost/app' # local db",
  "export VERCEL_PROJECT_NAME = web",
  "VERCEL_ENVIRONMENTS=production # one role per environment",
  "SOMETHING_ELSE=keep me",
  "",
].join("\n");

describe("updateEnvText", () => {
  it("changes only the given keys, in place, keeping prefixes, inline comments and other lines", () => {
    const { text, changes } = updateEnvText(FILE, {
      VERCEL_TEAM_SLUG: "acme-inc",
      VERCEL_PROJECT_NAME: "shop",
      VERCEL_ENVIRONMENTS: "production,preview",
    });
    expect(text).toBe(
      [
        "# Keyless configuration",
        "VERCEL_TEAM_SLUG=acme-inc",
        "",
        "# my own settings",
        "DATABASE_URL='postgres://localhost/app' # local db",
        "export VERCEL_PROJECT_NAME = shop",
        "VERCEL_ENVIRONMENTS=production,preview # one role per environment",
        "SOMETHING_ELSE=keep me",
        "",
      ].join("\n"),
    );
    expect(changes).toEqual([
      { key: "VERCEL_TEAM_SLUG", before: "acme", after: "acme-inc" },
      { key: "VERCEL_PROJECT_NAME", before: "web", after: "shop" },
      { key: "VERCEL_ENVIRONMENTS", before: "production", after: "production,preview" },
    ]);
    expect(readEnvValues(text)).toMatchObject({
      DATABASE_URL: "postgres://localhost/app",
      VERCEL_ENVIRONMENTS: "production,preview",
      SOMETHING_ELSE: "keep me",
    });
  });

  it("reports no change for values already there, and leaves the text identical", () => {
    const { text, changes } = updateEnvText(FILE, { VERCEL_TEAM_SLUG: "acme" });
    expect(text).toBe(FILE);
    expect(changes).toEqual([]);
  });

  it("appends missing keys at the end under their comment", () => {
    const { text, changes } = updateEnvText(
      "A=1",
      {
        VERCEL_TEAM_ID: "team_abc",
        AWS_REGION: "eu-west-2",
      },
      { VERCEL_TEAM_ID: "Team ID (team_…)\nsecond line" },
    );
    expect(text).toBe(
      "A=1\n\n# Team ID (team_…)\n# second line\nVERCEL_TEAM_ID=team_abc\nAWS_REGION=eu-west-2\n",
    );
    expect(changes.map((c) => [c.key, c.before])).toEqual([
      ["VERCEL_TEAM_ID", undefined],
      ["AWS_REGION", undefined],
    ]);
  });

  it("keeps Windows line endings", () => {
    const { text } = updateEnvText("# c\r\nAWS_REGION=us-east-1\r\nX=1\r\n", {
      AWS_REGION: "eu-west-1",
    });
    expect(text).toBe("# c\r\nAWS_REGION=eu-west-1\r\nX=1\r\n");
  });

  it("quotes a value that needs it so dotenv reads it back unchanged", () => {
    for (const value of ['has space, "quotes" # and a hash', "it's", `it's "both"`, "two\nlines"]) {
      const { text } = updateEnvText("", { ODD: value });
      expect(readEnvValues(text).ODD).toBe(value);
    }
  });

  it("formats changes as diff lines", () => {
    expect(
      formatEnvChanges([
        { key: "A", before: "1", after: "2" },
        { key: "B", before: undefined, after: "3" },
      ]),
    ).toBe("- A=1\n+ A=2\n+ B=3");
  });
});
