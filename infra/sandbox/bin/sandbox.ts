// pnpm sandbox [--port N] [--state-dir DIR] [--network]
//   The whole Vercel-OIDC flow on 127.0.0.1, in the foreground, until Ctrl-C (--network: the AWS
//   endpoint on every interface too, said with what it exposes).
// pnpm sandbox token [--environment ENV] [--project NAME] [--team SLUG] [--expired]
//   [--lifetime SECONDS] [--state-dir DIR]
//   Prints a token from the running sandbox's issuer to stdout (nothing else goes there).

import { parseCommandArgs, runCli, UsageError, usageError } from "@repo/infra/cli";
import pc from "picocolors";
import type { MintOptions } from "../src/issuer";
import { DEFAULT_STATE_DIR, readRunningSandbox } from "../src/state";

const USAGE = `usage:
  pnpm sandbox [--port N] [--state-dir DIR] [--network]
  pnpm sandbox token [--environment production|preview|development] [--project NAME]
                     [--team SLUG] [--expired] [--lifetime SECONDS] [--state-dir DIR]`;

function parse(args: string[]) {
  return parseCommandArgs(args, {
    usage: USAGE,
    positionals: 1,
    options: {
      port: { type: "string" },
      "state-dir": { type: "string" },
      environment: { type: "string" },
      project: { type: "string" },
      team: { type: "string" },
      expired: { type: "boolean" },
      lifetime: { type: "string" },
      network: { type: "boolean" },
    },
  });
}

function wholeNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} takes a whole number, got "${raw}"`);
  return Number(raw);
}

async function printToken(values: ReturnType<typeof parse>["values"], stateDir: string) {
  const state = await readRunningSandbox(stateDir);
  if (!state) {
    console.error(
      `No sandbox is running (no live ${stateDir}/state.json). Start one with \`pnpm sandbox\` in another terminal.`,
    );
    return 1;
  }
  const options: MintOptions = {
    environment: values.environment,
    project: values.project,
    team: values.team,
    expired: values.expired,
    lifetimeSeconds: wholeNumber(values.lifetime, "--lifetime"),
  };
  const response = await fetch(`${state.issuerUrl}/mint`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(options),
  }).catch((error: unknown) => {
    throw new Error(`The sandbox issuer at ${state.issuerUrl} did not answer: ${String(error)}`);
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token) {
    console.error(`The sandbox issuer refused: ${body.error ?? `HTTP ${response.status}`}`);
    return 1;
  }
  process.stdout.write(`${body.token}\n`);
  return 0;
}

async function runForeground(values: ReturnType<typeof parse>["values"], stateDir: string) {
  console.log(pc.dim("Starting the Keyless sandbox (moto, local issuer, gateway)…"));
  // Loaded here, not at the top: `pnpm sandbox token` needs none of the AWS SDK.
  const { MotoUnavailableError, SandboxConfigError, startSandbox } = await import("../src/index");
  const { formatSandboxSummary } = await import("../src/summary");
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({
      stateDir,
      ports: { gateway: wholeNumber(values.port, "--port") },
      network: values.network,
      log: (line) => console.log(pc.dim(line)),
    });
  } catch (error) {
    if (error instanceof MotoUnavailableError) {
      console.error(pc.red(error.message));
      return 1;
    }
    if (error instanceof SandboxConfigError) {
      console.error(error.message);
      return 2;
    }
    // Everything started so far has been stopped; say what failed, without a stack trace.
    console.error(pc.red(`The sandbox did not start: ${(error as Error).message}`));
    return 1;
  }
  console.log(formatSandboxSummary(sandbox, process.uptime() * 1000));
  if (values.network) {
    const { interfaceAddresses } = await import("../src/http");
    const port = sandbox.processes.ports.gateway;
    const where = interfaceAddresses().map((address) => `http://${address}:${port}`);
    console.log(
      pc.yellow(
        `--network: the AWS endpoint listens on every interface${where.length ? ` (${where.join(", ")})` : ""}. Anyone who can reach this machine can call the sandbox's AWS with a token it issues or its placeholder keys, and read the sample bucket. The issuer, the Vercel API stand-in and the admin API stay on loopback. Use it on networks you trust only.`,
      ),
    );
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: stop waiting. moto still exits, because its stdin pipe closes with us.
        process.exit(130);
      }
      stopping = true;
      console.log(pc.dim(`\n${signal}: stopping the sandbox…`));
      sandbox.stop().then(
        () => {
          console.log(pc.dim("Sandbox stopped."));
          resolve(0);
        },
        (error: unknown) => {
          console.error(error);
          resolve(1);
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

runCli(async () => {
  const { values, positionals, help } = parse(process.argv.slice(2));
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const stateDir = values["state-dir"] ?? DEFAULT_STATE_DIR;
  const [command, ...rest] = positionals;
  if (rest.length > 0 || (command !== undefined && command !== "token")) {
    throw usageError(`unknown command "${positionals.join(" ")}"`, USAGE);
  }
  if (command === "token") return printToken(values, stateDir);
  for (const flag of ["environment", "project", "team", "expired", "lifetime"] as const) {
    if (values[flag] !== undefined)
      throw usageError(`--${flag} belongs to \`pnpm sandbox token\``, USAGE);
  }
  return runForeground(values, stateDir);
});
