import { type ChildProcess, spawn } from "node:child_process";
import { findFreePort, isPortInUse, LOOPBACK } from "./net";
import {
  findMoto,
  keylessMotoProblem,
  type MotoCommand,
  motoMissingLine,
  pythonMoto,
} from "./prerequisites";

/** Python or moto is missing: the one line the user needs, and a non-zero exit. */
export class MotoUnavailableError extends Error {
  override name = "MotoUnavailableError";
}

export interface MotoServer {
  endpoint: string;
  port: number;
  pid: number;
  /** Empties every moto backend (IAM, S3, CloudFormation, …). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** 0 or unset = a free port. */
  port?: number;
  /** Run moto with this Python (`-m moto.server`) instead of looking for it. */
  python?: string;
  /** How to run moto, already found (resolveMotoCommand). */
  command?: MotoCommand;
  readyTimeoutMs?: number;
}

/** How moto runs here: the given Python, else the first route findMoto() finds. */
export function resolveMotoCommand(
  options: { python?: string; command?: MotoCommand } = {},
): MotoCommand {
  if (options.command) return options.command;
  const configured = options.python ? undefined : keylessMotoProblem();
  if (configured) throw new MotoUnavailableError(configured);
  const command = options.python ? pythonMoto(options.python) : findMoto();
  if (!command) throw new MotoUnavailableError(motoMissingLine());
  return command;
}

const STDERR_TAIL_BYTES = 4096;

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const command = resolveMotoCommand(options);
  const attempts = options.port ? 1 : 3;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port || (await findFreePort());
    try {
      return await launch(command, port, options);
    } catch (error) {
      // Another process may have taken the free port between our probe and moto's bind.
      if (error instanceof PortTakenError) {
        lastError = error;
        continue;
      }
      throw error;
    }
  }
  throw lastError;
}

class PortTakenError extends Error {}

async function launch(
  command: MotoCommand,
  port: number,
  options: StartMotoOptions,
): Promise<MotoServer> {
  const [program = "", ...args] = command.argv(LOOPBACK, port);
  const child = spawn(program, args, {
    stdio: ["pipe", "ignore", "pipe"],
    env: { ...motoEnvironment(process.env), PYTHONUNBUFFERED: "1" },
  });
  let stderrTail = "";
  // moto logs every request on stderr; it must be drained or the pipe fills and moto blocks.
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<{ code: number | null; spawnError?: NodeJS.ErrnoException }>(
    (resolve) => {
      child.once("error", (spawnError: NodeJS.ErrnoException) =>
        resolve({ code: null, spawnError }),
      );
      child.once("exit", (code) => resolve({ code }));
    },
  );

  const endpoint = `http://${LOOPBACK}:${port}`;
  const ready = waitUntilListening(port, options.readyTimeoutMs ?? 20_000);
  const stop = () => stopChild(child, exited);
  let outcome: Awaited<typeof exited> | "ready";
  try {
    outcome = await Promise.race([ready.then(() => "ready" as const), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  if (outcome !== "ready") {
    ready.cancel();
    throw explainEarlyExit(program, outcome, stderrTail);
  }

  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    stop,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
    },
  };
}

function explainEarlyExit(
  program: string,
  exit: { code: number | null; spawnError?: NodeJS.ErrnoException },
  stderrTail: string,
): Error {
  if (exit.spawnError?.code === "ENOENT") {
    return new MotoUnavailableError(`${program} was not found. ${motoMissingLine()}`);
  }
  if (/No module named ['"]?(moto|flask|werkzeug)/.test(stderrTail)) {
    return new MotoUnavailableError(
      `moto's server is incomplete for ${program}. ${motoMissingLine()}`,
    );
  }
  if (/Address already in use/i.test(stderrTail)) return new PortTakenError(stderrTail);
  return new Error(
    `moto server exited early (code ${exit.code ?? exit.spawnError?.message}):\n${stderrTail.trim()}`,
  );
}

function waitUntilListening(port: number, timeoutMs: number) {
  let cancelled = false;
  const promise = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (!cancelled) {
      if (await isPortInUse(port)) return;
      if (Date.now() > deadline) throw new Error(`moto did not listen on port ${port} in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  // The loser of the race must not surface as an unhandled rejection.
  promise.catch(() => {});
  return Object.assign(promise, {
    cancel() {
      cancelled = true;
    },
  });
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  child.kill("SIGTERM");
  const killed = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000).unref()),
  ]);
  if (!killed) {
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * moto's own environment: the user's, minus every AWS_* variable. moto answers with its account
 * and placeholder keys; a profile meant for real AWS (even a blank AWS_PROFILE) makes the boto3
 * inside moto fail some calls with HTTP 500.
 */
function motoEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = Object.entries(env).filter(([name]) => !name.startsWith("AWS_"));
  return Object.fromEntries(kept) as NodeJS.ProcessEnv;
}
