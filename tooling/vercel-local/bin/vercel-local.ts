// pnpm vercel:local [--env production|preview|development] [--port 3000] [--function-region iad1]
//   [--unconfigured] [--network]
//   Builds apps/web with the real Vercel CLI (offline) and serves it the way Vercel runs it, on
//   the local sandbox (one already running, else one started here and stopped on exit).
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { networkWarning } from "@repo/web/scripts/listen";
import { BuildFailedError } from "../src/build";
import { buildForSandbox, serveBuild } from "../src/deployment";
import { VERCEL_REGIONS } from "../src/environment";
import {
  corepackMissingLine,
  findRunningSandbox,
  MotoUnavailableError,
  REPO_ROOT,
  type SandboxAccess,
  SandboxConfigError,
  sandboxProjectVariables,
  startOwnSandbox,
  type VercelEnvironment,
} from "../src/sandbox";

const USAGE =
  "usage: pnpm vercel:local [--env production|preview|development] [--port N] [--function-region iad1] [--unconfigured] [--network]\n  --unconfigured  the project as the Deploy button leaves it (no AWS variables): the page its owner sees first\n  --network       listen on every interface, not loopback only (says what becomes reachable)";
const ENVIRONMENTS = ["production", "preview", "development"];

class UsageError extends Error {}

function options() {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof spec; allowPositionals: false }>>;
  const spec = {
    env: { type: "string", default: "production" },
    port: { type: "string", default: "3000" },
    "function-region": { type: "string", default: "iad1" },
    unconfigured: { type: "boolean", default: false },
    network: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  } as const;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== "--"),
      options: spec,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { env, port, help } = parsed.values;
  const region = parsed.values["function-region"];
  if (help) return undefined;
  if (!ENVIRONMENTS.includes(env)) {
    throw new UsageError(`--env takes production, preview or development, got "${env}"\n${USAGE}`);
  }
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    throw new UsageError(`--port takes a port number, got "${port}"\n${USAGE}`);
  }
  if (!(region in VERCEL_REGIONS)) {
    throw new UsageError(
      `--function-region takes a Vercel region (${Object.keys(VERCEL_REGIONS).join(", ")}), got "${region}"`,
    );
  }
  return {
    environment: env as VercelEnvironment,
    port: Number(port),
    functionRegion: region,
    unconfigured: parsed.values.unconfigured,
    network: parsed.values.network,
  };
}

/** Free on 127.0.0.1 now? (Checked before the build, so a busy port costs no waiting.) */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function sandbox(log: (line: string) => void): Promise<SandboxAccess> {
  const running = await findRunningSandbox();
  if (running) {
    log(`using the sandbox already running (${running.endpoint})`);
    return running;
  }
  log("no sandbox running: starting one (moto, local issuer, gateway)…");
  // The build bakes the sandbox's endpoint into the CSP, so a gateway port that stays the same
  // from run to run (one per checkout, when free) lets the next start reuse the build. Below
  // 32768, where Linux hands out ports to programs asking for any free one (and to outgoing
  // connections), so another process rarely holds it by chance.
  const stable = 31_000 + (createHash("sha256").update(REPO_ROOT).digest()[0] ?? 0);
  const start = (gateway: number) =>
    startOwnSandbox({ ports: { gateway }, log: (line) => log(`[sandbox] ${line}`) });
  if (!(await portIsFree(stable))) return start(0);
  try {
    return await start(stable);
  } catch (error) {
    // Free when checked, taken by another process before the gateway bound it (the sandbox
    // deploys in between): any free port then, at the cost of a rebuild.
    if (!(error instanceof Error) || !error.message.includes(`:${stable} is already in use`)) {
      throw error;
    }
    log(`port ${stable} was taken meanwhile: starting the sandbox on any free port`);
    return start(0);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const chosen = options();
  if (!chosen) {
    console.log(USAGE);
    return 0;
  }
  const log = (line: string) => console.log(`vercel:local ${line}`);
  const corepack = corepackMissingLine();
  if (corepack) {
    console.error(`vercel:local: ${corepack}`);
    return 1;
  }
  if (!(await portIsFree(chosen.port))) {
    console.error(
      `vercel:local: port ${chosen.port} is already in use: stop what runs there or pass --port N.`,
    );
    return 1;
  }

  let access: SandboxAccess | undefined;
  let deployment: Awaited<ReturnType<typeof serveBuild>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    await deployment?.stop();
    await access?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  try {
    access = await sandbox(log);
  } catch (error) {
    if (error instanceof MotoUnavailableError || error instanceof SandboxConfigError) {
      console.error(`vercel:local: ${error.message}`);
      return 1;
    }
    console.error(`vercel:local: the sandbox did not start: ${(error as Error).message}`);
    return 1;
  }
  const host = `localhost:${chosen.port}`;
  // What `pnpm vercel:env --sandbox --apply` set on the sandbox's Vercel project, when it has.
  let fromProject: Record<string, string> | undefined;
  if (!chosen.unconfigured) {
    try {
      fromProject = await sandboxProjectVariables(access, chosen.environment);
    } catch (error) {
      log(`the sandbox's Vercel project could not be read (${(error as Error).message})`);
    }
    log(
      fromProject
        ? `variables: the sandbox's Vercel project's (${Object.keys(fromProject).sort().join(", ")}), as \`pnpm vercel:env --sandbox --apply\` set them`
        : "variables: the sandbox stack's outputs (its Vercel project holds none yet: `pnpm vercel:env --sandbox --apply` sets them)",
    );
  }
  const served = { ...chosen, fromProject };
  try {
    const built = await buildForSandbox(access, { ...served, host, log });
    log(built.built ? `built (${built.logFile})` : "sources unchanged: reusing the last build");
    deployment = await serveBuild(access, built, { ...served, host, log });
  } catch (error) {
    await deployment?.stop();
    await access.stop();
    if (error instanceof BuildFailedError) {
      console.error(error.logTail.join("\n"));
      console.error(`vercel:local: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  for (const [name, bytes] of Object.entries(await deployment.sizes())) {
    log(
      `function ${name}: ${(bytes / 1024 / 1024).toFixed(1)} MB as deployed (its folder + traced files)`,
    );
  }
  if (chosen.network) {
    // What --network exposes, as `pnpm dev --network` says it (@repo/web's listen.ts).
    for (const line of networkWarning(String(chosen.port))) log(line);
  }
  log(
    `${chosen.environment} deployment ${deployment.deploymentId}${chosen.unconfigured ? ", unconfigured (no AWS variables)," : ""} ready on http://localhost:${chosen.port} in ${seconds} s (Ctrl-C stops it)`,
  );
  return new Promise<number>(() => {});
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`vercel:local: ${error.message}`);
      process.exit(2);
    }
    console.error(`vercel:local: ${(error as Error).message}`);
    process.exit(1);
  },
);
