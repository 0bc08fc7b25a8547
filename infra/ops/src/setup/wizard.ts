// The interactive half of `pnpm configure` (@clack/prompts): one question per value, each saying
// where the value is found, checked by the stack's own validator as it is typed.

import type { Readable, Writable } from "node:stream";
import * as prompts from "@clack/prompts";
import {
  environmentNameProblem,
  isStandardEnvironment,
  type StandardVercelEnvironment,
  VERCEL_ENVIRONMENTS,
  type VercelEnvironment,
} from "@repo/infra/vercel-naming";
import pc from "picocolors";
import { SETUP_FIELDS, type SetupField } from "./fields";
import { pickValue, type SetupSources } from "./resolve";

export interface PromptStreams {
  readonly input: Readable;
  readonly output: Writable;
}

export const TRUST_EXPLANATION = [
  "AWS trusts a Vercel deployment by two claims of its OIDC token:",
  "  aud = https://vercel.com/<team slug>",
  "  sub = owner:<team slug>:project:<project NAME>:environment:<env>",
  "IAM can match only sub and aud for a Vercel provider, so trust is",
  "pinned by the team slug and the project name. The team_… and prj_…",
  "IDs are still useful (role tags, the Vercel API) but cannot pin trust.",
  "Renaming the team or the project changes sub: run `pnpm configure`",
  "and deploy again.",
].join("\n");

const ENVIRONMENT_HINTS: Record<StandardVercelEnvironment, string> = {
  production: "deployments of the production branch",
  preview: "every other branch and pull request: a role of its own, never production's",
  development: "`vercel env pull` tokens on team members' machines: give it little",
};

/** Cancelled with Ctrl-C / Esc. */
export class SetupCancelled extends Error {
  override readonly name = "SetupCancelled";
}

function unlessCancelled<T>(value: T): Exclude<T, symbol> {
  if (prompts.isCancel(value) || typeof value === "symbol") throw new SetupCancelled("cancelled");
  return value as Exclude<T, symbol>;
}

/** Lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return line === "" ? lines : [...lines, line];
}

// select and multiselect put their guide bar before every line of the message; text does not.
const question = (field: SetupField) => `${field.label}\n${pc.dim(field.where)}`;
const textQuestion = (field: SetupField) =>
  [field.label, ...wrap(field.where, 72).map((line) => `${pc.gray("│")}  ${pc.dim(line)}`)].join(
    "\n",
  );

/**
 * Asks every value no flag gave, starting from what the environment or .env already says.
 * Returns the raw answers by variable (validated as they were typed).
 */
export async function askSetupValues(
  sources: SetupSources,
  streams: PromptStreams,
): Promise<Record<string, string | undefined>> {
  const io = { input: streams.input, output: streams.output };
  prompts.intro("Keyless setup: the one .env the stack, the app and the sandbox read", io);
  prompts.note(TRUST_EXPLANATION, "How AWS will trust Vercel", io);

  const answers: Record<string, string | undefined> = {};
  for (const field of SETUP_FIELDS) {
    const start = pickValue(field, sources);
    if (start.source === "flag" || !field.asked) {
      answers[field.variable] = start.value;
      continue;
    }
    answers[field.variable] = await ask(field, start.value, answers, io);
  }
  return answers;
}

async function ask(
  field: SetupField,
  current: string | undefined,
  answers: Record<string, string | undefined>,
  io: PromptStreams,
): Promise<string | undefined> {
  if (field.variable === "VERCEL_ENVIRONMENTS") {
    const configured = (current ?? "production").split(",").map((e) => e.trim());
    // Custom environments (e.g. staging) already in .env stay on offer, so a rerun keeps them.
    const custom = configured.filter(
      (e) => !isStandardEnvironment(e) && environmentNameProblem(e) === undefined,
    );
    const chosen = unlessCancelled(
      await prompts.multiselect<VercelEnvironment>({
        ...io,
        message: question(field),
        options: [
          ...VERCEL_ENVIRONMENTS.map((value) => ({
            value,
            label: value,
            hint: ENVIRONMENT_HINTS[value],
          })),
          ...custom.map((value) => ({ value, label: value, hint: "custom environment" })),
        ],
        initialValues: [...VERCEL_ENVIRONMENTS, ...custom].filter((e) => configured.includes(e)),
        required: true,
      }),
    );
    const value = chosen.join(",");
    const checked = field.validate(value, answers);
    if (checked.ok && checked.warning) prompts.log.warn(checked.warning, io);
    return value;
  }
  if (field.variable === "VERCEL_ISSUER_MODE") {
    return unlessCancelled(
      await prompts.select<string>({
        ...io,
        message: question(field),
        options: [
          {
            value: "team",
            label: "team",
            hint: "issuer https://oidc.vercel.com/<team slug> (recommended)",
          },
          { value: "global", label: "global", hint: "issuer https://oidc.vercel.com" },
        ],
        initialValue: current ?? "team",
      }),
    );
  }
  const typed = unlessCancelled(
    await prompts.text({
      ...io,
      message: textQuestion(field),
      placeholder: field.example,
      initialValue: current,
      validate: (value) => {
        const checked = field.validate(value, answers);
        return checked.ok ? undefined : checked.problem.message;
      },
    }),
  );
  return typed.trim();
}

/** Shows the change to .env and asks before writing it. */
export async function confirmWrite(
  path: string,
  diff: string,
  replacing: number,
  streams: PromptStreams,
): Promise<boolean> {
  const io = { input: streams.input, output: streams.output };
  prompts.note(diff, `Changes to ${path}`, io);
  const message =
    replacing > 0
      ? `Write them? This replaces ${replacing} value(s) already in the file; every other line stays.`
      : "Write them? Every other line of the file stays as it is.";
  return unlessCancelled(await prompts.confirm({ ...io, message, initialValue: true }));
}

export function finishWizard(message: string, streams: PromptStreams): void {
  prompts.outro(message, { input: streams.input, output: streams.output });
}
