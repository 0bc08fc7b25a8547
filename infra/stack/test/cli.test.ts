// The command-line convention every Keyless command shares (src/cli.ts).

import { describe, expect, it } from "vitest";
import {
  CommandFailure,
  colorsFor,
  parseCommandArgs,
  reportError,
  UsageError,
  usageError,
} from "../src/cli";
import { InfraConfigError } from "../src/config";

const USAGE = "usage: pnpm thing [--json] [--name NAME]\n\nDoes the thing.\n--json  data";
const spec = {
  usage: USAGE,
  options: { json: { type: "boolean" }, name: { type: "string" } },
} as const;

function captured(error: unknown) {
  const lines: string[] = [];
  const code = reportError(error, (text) => lines.push(text));
  return { code, text: lines.join("\n") };
}

describe("parseCommandArgs", () => {
  it("returns the flags, and help when --help or -h is given", () => {
    expect(parseCommandArgs(["--json", "--name", "x"], spec)).toMatchObject({
      values: { json: true, name: "x" },
      help: false,
    });
    expect(parseCommandArgs(["--help"], spec).help).toBe(true);
    expect(parseCommandArgs(["-h"], spec).help).toBe(true);
  });

  it("answers an unknown flag, a missing value or a stray argument with one line and the usage line", () => {
    for (const argv of [["--jsno"], ["--name"], ["extra"]]) {
      let thrown: unknown;
      try {
        parseCommandArgs(argv, spec);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      const message = (thrown as Error).message;
      expect(message.split("\n")).toHaveLength(1);
      expect(message).toContain("usage: pnpm thing [--json] [--name NAME]");
      expect(message).not.toContain("Does the thing");
    }
  });

  it("takes as many positionals as the command says", () => {
    expect(parseCommandArgs(["token"], { ...spec, positionals: 1 }).positionals).toEqual(["token"]);
    expect(() => parseCommandArgs(["a", "b"], { ...spec, positionals: 1 })).toThrow(UsageError);
  });
});

describe("reportError: one exit path", () => {
  it("usage and configuration mistakes exit 2 without a stack", () => {
    const usage = captured(usageError('unknown command "x"', USAGE));
    expect(usage.code).toBe(2);
    expect(usage.text.split("\n")).toHaveLength(1);
    const config = captured(new InfraConfigError([{ variable: "AWS_REGION", message: "missing" }]));
    expect(config.code).toBe(2);
    expect(config.text).toContain("AWS_REGION: missing");
    expect(config.text).not.toMatch(/\n\s+at /);
  });

  it("an explained failure exits 1 with its message only; anything else exits 1 with its stack", () => {
    const failure = captured(new CommandFailure("Vercel refused the token"));
    expect(failure).toEqual({ code: 1, text: "Vercel refused the token" });
    const unexpected = captured(new TypeError("boom"));
    expect(unexpected.code).toBe(1);
    expect(unexpected.text).toMatch(/TypeError: boom\n\s+at /);
  });
});

describe("colorsFor", () => {
  const red = (env: Record<string, string>, isTTY: boolean) =>
    colorsFor({ isTTY }, env).red("x") !== "x";

  it("colours a terminal, not a pipe", () => {
    expect(red({}, true)).toBe(true);
    expect(red({}, false)).toBe(false);
  });

  it("honours NO_COLOR and FORCE_COLOR", () => {
    expect(red({ NO_COLOR: "1" }, true)).toBe(false);
    expect(red({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(red({ FORCE_COLOR: "0" }, true)).toBe(false);
    expect(red({ NO_COLOR: "1", FORCE_COLOR: "1" }, true)).toBe(false);
  });
});
