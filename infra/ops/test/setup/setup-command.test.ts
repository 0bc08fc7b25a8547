// pnpm configure: non-interactive (flags, environment, existing .env), the wizard driven through
// a scripted terminal, and the real command without a terminal.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ENV_EXAMPLE_FILE, runSetup } from "../../src/setup/setup-command";
import { collector } from "../helpers/streams";

const INFRA_DIR = fileURLToPath(new URL("../..", import.meta.url));
const REQUIRED = ["--team-slug", "acme", "--project-name", "web"];

let dir: string;
let envFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyless-setup-"));
  envFile = join(dir, ".env");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function setup(argv: string[], environment: Record<string, string> = {}) {
  const out = collector();
  const err = collector();
  const code = await runSetup({
    argv,
    environment: { KEYLESS_ENV_FILE: envFile, ...environment },
    stdin: new PassThrough(),
    stdout: out.stream,
    stderr: err.stream,
    interactive: false,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const read = () => readFileSync(envFile, "utf8");

describe("pnpm configure without a terminal", () => {
  it("starts a new .env from .env.example, keeping its comments and other variables", async () => {
    const secret = randomBytes(20).toString("hex");
    const { code, stdout, stderr } = await setup(
      [...REQUIRED, "--team-id", "team_abc123", "--environments", "production,preview"],
      // Secrets in the environment are never copied into the file.
      { VERCEL_TOKEN: secret, AWS_SECRET_ACCESS_KEY: secret },
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const text = read();
    const example = readFileSync(ENV_EXAMPLE_FILE, "utf8");
    for (const comment of example.split("\n").filter((line) => line.startsWith("#"))) {
      expect(text).toContain(comment);
    }
    expect(text).toMatch(/^VERCEL_TEAM_SLUG=acme$/m);
    expect(text).toMatch(/^VERCEL_PROJECT_NAME=web$/m);
    expect(text).toMatch(/^VERCEL_TEAM_ID=team_abc123$/m);
    expect(text).toMatch(/^VERCEL_ENVIRONMENTS=production,preview$/m);
    expect(text).toMatch(/^AWS_REGION=us-east-1$/m);
    expect(text).toMatch(/^VERCEL_TOKEN=$/m);
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/^AWS_SECRET_ACCESS_KEY=/m);

    expect(stdout).toContain(`New ${envFile} from .env.example, with:`);
    expect(stdout).toContain("+ VERCEL_TEAM_ID=team_abc123");
    expect(stdout).toContain(
      "Defaults used: AWS_REGION=us-east-1 (--region), VERCEL_ISSUER_MODE=team (--issuer-mode)",
    );
    expect(stdout).toContain(
      "Role for production  trusts sub = owner:acme:project:web:environment:production",
    );
    expect(stdout).toContain(
      "Role for preview     trusts sub = owner:acme:project:web:environment:preview",
    );
    expect(stdout).toContain("Audience https://vercel.com/acme");
    for (const command of [
      "pnpm trust:check",
      "pnpm infra:deploy",
      "pnpm vercel:env --apply",
      "pnpm verify",
    ]) {
      expect(stdout).toContain(command);
    }
    expect(stdout).toContain("AWS_ROLE_ARN = stack output RoleArnPreview   (Preview only)");
    expect(stdout).not.toContain("VERCEL_OIDC_AUDIENCE");
    // The project's settings are vercel:env's too: no dashboard step left.
    expect(stdout).toContain(
      "pnpm vercel:env --apply  # the variables below, OIDC federation (team issuer), root directory, Node.js; removes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
    );
    expect(stdout).toContain("ENABLE_EXPERIMENTAL_COREPACK = 1   (Production, Preview)");
    expect(stdout).not.toContain("Turn on OIDC");
    expect(stdout).not.toContain(secret);
  });

  it("refuses to replace existing values without --force, and keeps every line it does not own", async () => {
    const mine = [
      "# my notes",
      "DATABASE_URL=postgres://localhost/app",
      "VERCEL_TEAM_SLUG=acme",
      "VERCEL_PROJECT_NAME=web",
      "VERCEL_TEAM_ID=",
      "",
    ].join("\n");
    writeFileSync(envFile, mine);

    const refused = await setup(["--team-slug", "acme-inc", "--team-id", "team_abc123"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain("- VERCEL_TEAM_SLUG=acme\n+ VERCEL_TEAM_SLUG=acme-inc");
    expect(refused.stderr).toContain(
      `Refusing to replace 1 value(s) already in ${envFile} (VERCEL_TEAM_SLUG) without --force. Nothing was written.`,
    );
    expect(read()).toBe(mine);

    // Filling an empty value is not a replacement.
    const filled = await setup(["--team-id", "team_abc123"]);
    expect(filled.code).toBe(0);
    expect(read()).toContain("VERCEL_TEAM_ID=team_abc123");

    const forced = await setup(["--team-slug", "acme-inc", "--force"]);
    expect(forced.code).toBe(0);
    const text = read();
    expect(
      text.startsWith(
        "# my notes\nDATABASE_URL=postgres://localhost/app\nVERCEL_TEAM_SLUG=acme-inc\n",
      ),
    ).toBe(true);
    expect(forced.stdout).toContain("Issuer   https://oidc.vercel.com/acme-inc (team mode)");
  });

  it("writes through a symlinked .env instead of replacing the link", async () => {
    const shared = join(dir, "shared.env");
    writeFileSync(shared, "# shared between checkouts\n");
    symlinkSync(shared, envFile);
    expect((await setup(REQUIRED)).code).toBe(0);
    expect(lstatSync(envFile).isSymbolicLink()).toBe(true);
    expect(readFileSync(shared, "utf8")).toMatch(
      /^# shared between checkouts\n[\s\S]*^VERCEL_TEAM_SLUG=acme$/m,
    );
  });

  it("writes nothing when nothing changes, or with --dry-run", async () => {
    expect((await setup(REQUIRED)).code).toBe(0);
    // Spelled differently by hand, same meaning: not a change.
    writeFileSync(
      envFile,
      read().replace("VERCEL_ENVIRONMENTS=production", "VERCEL_ENVIRONMENTS= production "),
    );
    const first = read();
    const again = await setup([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already has these values; nothing to write");
    expect(read()).toBe(first);

    const dry = await setup(["--project-name", "shop", "--force", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("+ VERCEL_PROJECT_NAME=shop");
    expect(dry.stdout).toContain("Dry run: nothing was written.");
    expect(read()).toBe(first);
  });

  it("lists VERCEL_OIDC_AUDIENCE among the Vercel variables when the stack requires a custom audience", async () => {
    writeFileSync(envFile, "VERCEL_OIDC_AUDIENCE=sts.amazonaws.com\n");
    const { code, stdout, stderr } = await setup(REQUIRED);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("Audience sts.amazonaws.com");
    expect(stdout).toContain("VERCEL_OIDC_AUDIENCE = sts.amazonaws.com   (Production)");
  });

  it("takes the values from the environment, for CI", async () => {
    const { code, stderr } = await setup([], {
      VERCEL_TEAM_SLUG: "acme",
      VERCEL_PROJECT_NAME: "web",
      VERCEL_ENVIRONMENTS: "preview",
      AWS_REGION: "eu-west-2",
      VERCEL_ISSUER_MODE: "global",
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(read()).toMatch(/^VERCEL_ENVIRONMENTS=preview$/m);
    expect(read()).toMatch(/^AWS_REGION=eu-west-2$/m);
    expect(read()).toMatch(/^VERCEL_ISSUER_MODE=global$/m);
  });

  it("names every missing or wrong value with its flag, and writes nothing", async () => {
    const missing = await setup([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("2 value(s) missing or wrong");
    expect(missing.stderr).toContain(
      "VERCEL_TEAM_SLUG: missing. In Vercel: Team Settings → General → Team URL",
    );
    expect(missing.stderr).toContain("Pass --team-slug or set VERCEL_TEAM_SLUG.");
    expect(missing.stderr).toContain("Pass --project-name or set VERCEL_PROJECT_NAME.");
    expect(existsSync(envFile)).toBe(false);

    const wrong = await setup([
      "--team-slug",
      "team_abc123",
      "--project-name",
      "Web",
      "--environments",
      "production,prevew",
      "--region",
      "us-east",
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      '"team_abc123" is a team id; the slug is the name in the team URL',
    );
    expect(wrong.stderr).toContain('"Web" has capital letters');
    expect(wrong.stderr).toContain('"prevew" is not a Vercel environment');
    expect(wrong.stderr).toContain('did you mean "preview"?');
    expect(wrong.stderr).toContain('"us-east" is not an AWS region name');
    expect(existsSync(envFile)).toBe(false);

    const otherTeam = await setup([
      ...REQUIRED,
      "--provider-arn",
      "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/other",
    ]);
    expect(otherTeam.code).toBe(2);
    expect(otherTeam.stderr).toContain(
      "is the provider for https://oidc.vercel.com/other, but team mode needs the one for https://oidc.vercel.com/acme",
    );

    const help = await setup(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: pnpm configure [options]");
    expect(help.stdout).toContain("--provider-arn");

    const unknown = await setup(["--team", "acme"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("usage: pnpm configure");
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("warns about static keys and shell overrides without printing their values", async () => {
    const secret = randomBytes(20).toString("base64");
    writeFileSync(envFile, `AWS_SECRET_ACCESS_KEY=${secret}\n`);
    const { code, stderr } = await setup(REQUIRED, {
      VERCEL_PROJECT_NAME: "shop",
      VERCEL_ENVIRONMENTS: "production,development",
    });
    expect(code).toBe(0);
    expect(stderr).toContain(
      "WARNING: .env holds AWS_SECRET_ACCESS_KEY. Keyless never uses static AWS keys",
    );
    expect(stderr).toContain(
      "NOTE: VERCEL_PROJECT_NAME is also set in your shell (shop), and the shell wins over .env.",
    );
    expect(stderr).toContain("WARNING: VERCEL_ENVIRONMENTS includes development");
    expect(stderr).not.toContain(secret);
    // Left in place: setup never touches lines it does not own.
    expect(read()).toContain(`AWS_SECRET_ACCESS_KEY=${secret}`);
  });
});

/** Answers each prompt when its text appears in the output, like a person at a terminal. */
function scriptedTerminal(steps: [waitFor: string, keys: string][]) {
  const input = new PassThrough();
  let text = "";
  let searchFrom = 0;
  let step = 0;
  const output = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      const next = steps[step];
      if (next) {
        const at = text.indexOf(next[0], searchFrom);
        if (at !== -1) {
          searchFrom = at + next[0].length;
          step += 1;
          setImmediate(() => input.write(next[1]));
        }
      }
      done();
    },
  });
  return { input, output, text: () => text, answered: () => step };
}

describe("pnpm configure in a terminal", () => {
  // A person's terminal, whatever runs the tests: under TERM=dumb (CI logs, some editors) Node's
  // readline has no line editing, so the backspaces below would be typed as text.
  beforeAll(() => {
    vi.stubEnv("TERM", "xterm-256color");
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  const wizard = async (terminal: ReturnType<typeof scriptedTerminal>, argv: string[] = []) => {
    const err = collector();
    const code = await runSetup({
      argv,
      environment: { KEYLESS_ENV_FILE: envFile },
      stdin: terminal.input,
      stdout: terminal.output,
      stderr: err.stream,
      interactive: true,
    });
    return { code, stderr: err.text() };
  };

  it("asks each value with where to find it, validates as it is typed, then confirms the write", async () => {
    const terminal = scriptedTerminal([
      ["Vercel team slug", "Acme\r"],
      ['"Acme" has capital letters', "\x7f\x7f\x7f\x7facme\r"],
      ["Vercel project name", "web\r"],
      ["Vercel team ID (optional)", "team_abc123\r"],
      ["Vercel project ID (optional)", "\r"],
      ["AWS region", "\r"],
      ["Vercel environments that get a role", "\x1b[B \r"],
      ["OIDC issuer mode", "\r"],
      ["Existing IAM OIDC provider ARN (optional)", "\r"],
      ["AWS profile for deploying (optional)", "dev-admin\r"],
      ["Write them?", "y"],
    ]);
    const { code, stderr } = await wizard(terminal);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(terminal.answered()).toBe(11);
    const shown = terminal.text();
    expect(shown).toContain("IAM can match only sub and aud for a Vercel provider");
    expect(shown).toContain("Team Settings → General → Team URL");
    expect(shown).toContain("Settings → General → Project ID (prj_…)");
    expect(shown).toContain("+ AWS_PROFILE=dev-admin");
    expect(shown).toContain(
      "pnpm infra:deploy        # stack KeylessVercelOidc in us-east-1, with AWS_PROFILE=dev-admin",
    );
    const text = read();
    expect(text).toMatch(/^VERCEL_TEAM_SLUG=acme$/m);
    expect(text).toMatch(/^VERCEL_TEAM_ID=team_abc123$/m);
    expect(text).toMatch(/^VERCEL_PROJECT_ID=$/m);
    expect(text).toMatch(/^VERCEL_ENVIRONMENTS=production,preview$/m);
    expect(text).toMatch(/^AWS_PROFILE=dev-admin$/m);
  });

  it("skips what flags gave, and writes nothing when the write is declined or the wizard cancelled", async () => {
    writeFileSync(envFile, "VERCEL_TEAM_SLUG=acme\nVERCEL_PROJECT_NAME=web\n");
    const declined = scriptedTerminal([
      ["Vercel project name", "\r"],
      ["Vercel team ID (optional)", "\r"],
      ["Vercel project ID (optional)", "\r"],
      ["AWS region", "\r"],
      ["Vercel environments that get a role", "\r"],
      ["OIDC issuer mode", "\r"],
      ["Existing IAM OIDC provider ARN (optional)", "\r"],
      ["AWS profile for deploying (optional)", "\r"],
      ["This replaces 1 value(s) already in the file", "n"],
    ]);
    const first = await wizard(declined, ["--team-slug", "acme-inc"]);
    expect(first.code).toBe(1);
    expect(declined.text()).not.toContain("◆  Vercel team slug");
    expect(read()).toBe("VERCEL_TEAM_SLUG=acme\nVERCEL_PROJECT_NAME=web\n");

    const cancelled = scriptedTerminal([["Vercel team slug", "\x03"]]);
    const second = await wizard(cancelled);
    expect(second.code).toBe(130);
    expect(second.stderr).toContain("Setup cancelled; nothing was written.");
    expect(read()).toBe("VERCEL_TEAM_SLUG=acme\nVERCEL_PROJECT_NAME=web\n");
  });
});

// Starting tsx and loading the validators (they live beside the CDK constructs) takes seconds
// on a busy machine.
describe("the setup command", { timeout: 90_000 }, () => {
  it("runs without a terminal (piped stdin) as the non-interactive setup, into a new --env-path file", () => {
    expect(existsSync(envFile)).toBe(false);
    const result = spawnSync(
      join(INFRA_DIR, "node_modules/.bin/tsx"),
      [
        join(INFRA_DIR, "bin/setup.ts"),
        ...REQUIRED,
        "--region",
        "eu-central-1",
        "--env-path",
        envFile,
      ],
      {
        cwd: dir,
        input: "",
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      },
    );
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Next steps");
    expect(read()).toMatch(/^AWS_REGION=eu-central-1$/m);
  });
});
