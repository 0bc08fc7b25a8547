// pnpm configure: asks for (or takes as flags / env) the values the stack needs, writes them into
// the one .env the user edits — never overwriting without asking, keeping every line it does not
// own, writing no secret — and prints the next steps with their exact commands.

import { existsSync, lstatSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { isUsageProblem, parseCommandArgs, reportError } from "@repo/infra/cli";
import { ENV_FILE, loadInfraConfig } from "@repo/infra/config";
import { type EnvChange, formatEnvChanges, readEnvValues, updateEnvText } from "./env-file";
import { SETUP_FIELDS, SETUP_VARIABLES, type SetupValues, STATIC_KEY_VARIABLES } from "./fields";
import { ENV_FILE_OPTION, type Environment, envFilePath, type Output, printer } from "./io";
import { formatNextSteps, formatTrustSummary } from "./next-steps";
import { resolveSetupValues, type SetupSources, validateValues } from "./resolve";
import { askSetupValues, confirmWrite, finishWizard, SetupCancelled } from "./wizard";

/** The commented template a new .env starts from. */
export const ENV_EXAMPLE_FILE = join(dirname(ENV_FILE), ".env.example");

const SETUP_COMMENTS: Record<string, string> = Object.fromEntries(
  SETUP_FIELDS.map((field) => [field.variable, `${field.label}: ${field.where}`]),
);

export const SETUP_USAGE = [
  "usage: pnpm configure [options]      (the setup wizard; `pnpm setup` is pnpm's own command)",
  "",
  "Asks for the values below in a terminal; with --yes, without a terminal, or in CI, takes them",
  "from flags, then the environment (same variable names), then the existing .env.",
  "Writes only these variables into the repo-root .env: other lines and comments stay as they are.",
  "",
  ...SETUP_FIELDS.map(
    (field) =>
      `  --${field.flag.padEnd(14)} ${field.variable}${field.fallback ? ` (default ${field.fallback})` : ""}${field.required ? "" : " (optional)"}\n${" ".repeat(20)}${field.where}`,
  ),
  "",
  "  --yes, -y          do not ask; fail if a required value is missing",
  "  --force            allow replacing values already in .env without asking",
  "  --dry-run          show the change to .env and write nothing",
  "  --env-path PATH    another file than the repo-root .env, new or existing (or KEYLESS_ENV_FILE)",
].join("\n");

export interface SetupOptions extends Output {
  readonly argv: readonly string[];
  readonly environment: Environment;
  readonly stdin: Readable;
  /** Overrides the terminal check (tests drive the wizard through streams). */
  readonly interactive?: boolean;
  /** The template for a new .env. @default the repo's .env.example */
  readonly exampleFile?: string;
}

function parseSetupArgs(argv: readonly string[]) {
  const fieldOptions = Object.fromEntries(
    SETUP_FIELDS.map((field) => [field.flag, { type: "string" as const }]),
  );
  const options = {
    ...fieldOptions,
    yes: { type: "boolean", short: "y" },
    force: { type: "boolean" },
    "dry-run": { type: "boolean" },
    ...ENV_FILE_OPTION,
  } as const;
  const { values, help } = parseCommandArgs(argv, { usage: SETUP_USAGE, options });
  const flags: Record<string, string | boolean | undefined> = { ...values, help };
  return flags;
}

export async function runSetup(options: SetupOptions): Promise<number> {
  const print = printer(options);
  try {
    return await setup(options, print);
  } catch (error) {
    if (isUsageProblem(error)) return reportError(error, print.error);
    if (error instanceof SetupCancelled) {
      print.error("Setup cancelled; nothing was written.");
      return 130;
    }
    throw error;
  }
}

async function setup(options: SetupOptions, print: ReturnType<typeof printer>): Promise<number> {
  const flags = parseSetupArgs(options.argv);
  if (flags.help) {
    print.line(SETUP_USAGE);
    return 0;
  }
  const envFile = envFilePath(flags["env-path"] as string | undefined, options.environment);
  const exampleFile = options.exampleFile ?? ENV_EXAMPLE_FILE;
  const existingText = existsSync(envFile) ? readFileSync(envFile, "utf8") : undefined;
  const templateText =
    existingText ?? (existsSync(exampleFile) ? readFileSync(exampleFile, "utf8") : "");
  const existing = existingText === undefined ? {} : readEnvValues(existingText);

  const sources: SetupSources = {
    flags: Object.fromEntries(
      SETUP_FIELDS.filter((f) => typeof flags[f.flag] === "string").map((f) => [
        f.variable,
        flags[f.flag] as string,
      ]),
    ),
    environment: Object.fromEntries(SETUP_VARIABLES.map((v) => [v, options.environment[v]])),
    existing,
  };
  const stdinIsTerminal = (options.stdin as Readable & { isTTY?: boolean }).isTTY === true;
  const interactive =
    !flags.yes &&
    (options.interactive ??
      (stdinIsTerminal &&
        (options.stdout as { isTTY?: boolean }).isTTY === true &&
        !options.environment.CI));
  const streams = { input: options.stdin, output: options.stdout };

  let values: Readonly<Record<string, string>>;
  let warnings: readonly string[];
  let defaulted: string[] = [];
  if (interactive) {
    ({ values, warnings } = validateValues(await askSetupValues(sources, streams)));
  } else {
    const resolution = resolveSetupValues(sources);
    if (resolution.problems.length > 0) {
      print.error(
        [
          `Setup cannot continue without a terminal: ${resolution.problems.length} value(s) missing or wrong.`,
          ...resolution.problems.map((p) => `  - ${p.variable}: ${p.message}`),
          "Run `pnpm configure` in a terminal to be asked, or see `pnpm configure --help`.",
        ].join("\n"),
      );
      return 2;
    }
    ({ values, warnings } = resolution);
    defaulted = SETUP_FIELDS.filter((f) => resolution.sources[f.variable] === "default").map(
      (f) => `${f.variable}=${values[f.variable]} (--${f.flag})`,
    );
  }

  const edit = updateEnvText(
    templateText,
    toWrite(values, readEnvValues(templateText)),
    SETUP_COMMENTS,
  );
  // A new file lists every value it gets; .env.example's samples are not "before" values.
  const changes: readonly EnvChange[] =
    existingText === undefined
      ? Object.entries(values)
          .filter(([, after]) => after !== "")
          .map(([key, after]) => ({ key, before: undefined, after }))
      : edit.changes;
  const replacing = existingText === undefined ? [] : changes.filter((c) => c.before);
  const diff = formatEnvChanges(changes);

  if (existingText !== undefined && changes.length === 0) {
    print.line(`${envFile} already has these values; nothing to write.`);
  } else if (interactive && !flags["dry-run"]) {
    if (!(await confirmWrite(envFile, diff, replacing.length, streams))) {
      print.line("Nothing written.");
      return 1;
    }
  } else {
    print.line(
      existingText === undefined
        ? `New ${envFile} from .env.example, with:`
        : `Changes to ${envFile}:`,
    );
    print.line(diff);
    if (defaulted.length > 0 && changes.length > 0) {
      print.line(`Defaults used: ${defaulted.join(", ")}`);
    }
    if (replacing.length > 0 && !flags.force && !flags["dry-run"]) {
      print.error(
        `Refusing to replace ${replacing.length} value(s) already in ${envFile} (${replacing.map((c) => c.key).join(", ")}) without --force. Nothing was written.`,
      );
      return 2;
    }
  }
  if (flags["dry-run"]) {
    print.line("Dry run: nothing was written.");
    return 0;
  }
  if (changes.length > 0 || existingText === undefined) writeAtomically(envFile, edit.text);

  // What was written is what the stack will read (the shell can still override it: say so).
  const config = loadInfraConfig(readEnvValues(edit.text));
  for (const warning of [...new Set([...warnings, ...config.warnings])])
    print.error(`WARNING: ${warning}`);
  for (const note of shadowingNotes(readEnvValues(edit.text), options.environment))
    print.error(note);
  for (const note of staticKeyNotes(existing)) print.error(note);

  const summary = [
    changes.length > 0 ? `Wrote ${envFile} (${describeChanges(changes)}).` : "",
    "",
    formatTrustSummary(config),
    "",
    "Next steps",
    formatNextSteps(config),
  ].join("\n");
  print.line(summary);
  if (interactive) finishWizard("Setup done.", streams);
  return 0;
}

/**
 * What actually goes into the file: a value the file already spells differently but means the same
 * (`production, preview`) is left as written, and an empty optional value is not added as a new
 * line.
 */
function toWrite(
  values: Readonly<Record<string, string>>,
  inFile: SetupValues,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const field of SETUP_FIELDS) {
    const value = values[field.variable];
    const current = inFile[field.variable];
    if (value === undefined || (value === "" && current === undefined)) continue;
    const meant =
      current === undefined ? undefined : field.validate(current, { ...inFile, ...values });
    result[field.variable] =
      meant?.ok && meant.value === value && current !== undefined ? current : value;
  }
  return result;
}

function describeChanges(changes: readonly EnvChange[]): string {
  const added = changes.filter((c) => !c.before).length;
  const replaced = changes.length - added;
  return [added ? `${added} set` : "", replaced ? `${replaced} replaced` : ""]
    .filter(Boolean)
    .join(", ");
}

/** Variables set in the shell win over .env at run time: point out the ones that differ. */
function shadowingNotes(written: SetupValues, environment: Environment): string[] {
  return SETUP_VARIABLES.filter((variable) => {
    const inShell = environment[variable];
    return inShell !== undefined && inShell !== "" && inShell !== written[variable];
  }).map(
    (variable) =>
      `NOTE: ${variable} is also set in your shell (${environment[variable]}), and the shell wins over .env. Unset it to use the file's value.`,
  );
}

/** Static keys in .env are left alone (setup never touches lines it does not own) but named. */
function staticKeyNotes(existing: SetupValues): string[] {
  const found = STATIC_KEY_VARIABLES.filter((variable) => (existing[variable] ?? "") !== "");
  return found.length === 0
    ? []
    : [
        `WARNING: .env holds ${found.join(", ")}. Keyless never uses static AWS keys (locally it uses AWS_PROFILE, on Vercel OIDC): delete those lines and rotate the keys.`,
      ];
}

/** Write-then-rename, so an interrupted write never leaves half a .env. */
function writeAtomically(path: string, text: string): void {
  // A symlinked .env (shared between checkouts) is written through, not replaced by a file.
  if (existsSync(path) && lstatSync(path).isSymbolicLink()) {
    writeFileSync(path, text);
    return;
  }
  const temporary = `${path}.setup-${process.pid}.tmp`;
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, path);
}
