// Runs each function in a child process of its own, started on its first request (a cold start,
// as on Vercel) and kept warm afterwards. A process per function, not one for all, because on
// Vercel each function is its own Lambda: its own module cache and globals (Keyless caches one
// credential provider per process), its own env (AWS_LAMBDA_FUNCTION_NAME differs) and its own
// working directory (the launcher chdirs into it). A crash stays inside that function.
import { type ChildProcess, execFile, fork } from "node:child_process";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { materializeFunction, type OutputFunction } from "./functions";

const RUNTIME_ENTRY = fileURLToPath(new URL("./function-runtime.cjs", import.meta.url));
const EDGE_RUNTIME_ENTRY = fileURLToPath(new URL("./edge-function-runtime.cjs", import.meta.url));

/**
 * The Node binary for a function's `runtime` (`nodejs24.x` → Node 24). The registry serves Node
 * builds as the `node` package, so `npx node@24` gets the right major without another host;
 * when that fails the function runs on this process's Node, and the caller says so.
 */
export async function nodeForRuntime(runtime: string): Promise<{ path: string; version: string }> {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  const current = { path: process.execPath, version: process.version };
  if (!major || process.version.startsWith(`v${major}.`)) return current;
  try {
    const { stdout } = await promisify(execFile)(
      "npx",
      ["-y", `node@${major}`, "-p", "process.execPath + ' ' + process.version"],
      { timeout: 120_000 },
    );
    const [path, version] = stdout.trim().split(" ");
    return path && version ? { path, version } : current;
  } catch {
    return current;
  }
}

interface Running {
  child: ChildProcess;
  port: Promise<number>;
}

export interface FunctionHostOptions {
  checkoutRoot: string;
  /** Where the materialized function folders go. */
  workDir: string;
  /** The environment of a function, by its name. */
  envFor(fn: OutputFunction): Record<string, string>;
  nodePath(fn: OutputFunction): Promise<string>;
  /** Function output (stdout/stderr), one line at a time: Vercel's runtime logs. */
  log(fn: OutputFunction, line: string): void;
  /** Tests only: where Node functions' POSTs to https://oidc.vercel.com/~token go instead. */
  tokenExchangeStandIn?: string;
}

export class FunctionHost {
  private readonly running = new Map<string, Running>();
  private readonly prepared = new Map<string, Promise<string>>();

  constructor(private readonly options: FunctionHostOptions) {}

  private folder(fn: OutputFunction): Promise<string> {
    let ready = this.prepared.get(fn.sourceDir);
    if (!ready) {
      const target = join(this.options.workDir, `${fn.name}.func`);
      ready = materializeFunction(fn, this.options.checkoutRoot, target).then(() => target);
      this.prepared.set(fn.sourceDir, ready);
    }
    return ready;
  }

  /** Materializes every function up front, so the first request pays only the process start. */
  async prepare(functions: Iterable<OutputFunction>): Promise<void> {
    await Promise.all([...new Set(functions)].map((fn) => this.folder(fn)));
  }

  private start(fn: OutputFunction): Running {
    const existing = this.running.get(fn.sourceDir);
    if (existing && existing.child.exitCode === null && existing.child.signalCode === null) {
      return existing;
    }
    let child: ChildProcess | undefined;
    const port = (async () => {
      const dir = await this.folder(fn);
      const env = { ...this.options.envFor(fn), ...fn.config.environment };
      const edge = fn.config.runtime === "edge";
      // An Edge function sees its variables only as `process.env` inside the VM; the process
      // running the VM keeps the host's few basics.
      child = fork(
        edge ? EDGE_RUNTIME_ENTRY : RUNTIME_ENTRY,
        edge
          ? [dir, fn.config.entrypoint ?? "index.js", JSON.stringify(env)]
          : [
              dir,
              fn.config.handler,
              fn.config.useWebApi ? "web" : "node",
              this.options.tokenExchangeStandIn ?? "",
            ],
        {
          cwd: dir,
          env: edge ? { PATH: process.env.PATH ?? "" } : env,
          execPath: edge ? process.execPath : await this.options.nodePath(fn),
          // Not this process's flags (tsx): the function loads only its own files.
          execArgv: [],
          stdio: ["ignore", "pipe", "pipe", "ipc"],
        },
      );
      const started = child;
      for (const stream of [started.stdout, started.stderr]) {
        let pending = "";
        stream?.on("data", (chunk: Buffer) => {
          pending += chunk.toString("utf8");
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines) this.options.log(fn, line);
        });
      }
      return new Promise<number>((resolve, reject) => {
        started.on("message", (message: { type: string; port?: number; message?: string }) => {
          if (message.type === "ready" && message.port) resolve(message.port);
          if (message.type === "failed") reject(new Error(message.message));
        });
        started.once("exit", (code) =>
          reject(new Error(`the function ${fn.name} exited (${code}) before it was ready`)),
        );
      });
    })();
    const entry: Running = {
      get child() {
        return child as ChildProcess;
      },
      port,
    };
    this.running.set(fn.sourceDir, entry);
    port.catch(() => this.running.delete(fn.sourceDir));
    return entry;
  }

  /** Sends the request to the function and hands back its answer unread (for middleware). */
  async call(
    fn: OutputFunction,
    request: IncomingMessage,
    path: string,
    headers: Record<string, string | string[]>,
  ): Promise<IncomingMessage> {
    const port = await this.start(fn).port;
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { host: "127.0.0.1", port, method: request.method, path, headers },
        resolve,
      );
      upstream.once("error", reject);
      // The proxy sees no body: a request it passes on keeps its body for the function after it.
      upstream.end();
    });
  }

  /** Sends the request to the function (starting it if cold) and streams its answer back. */
  async invoke(
    fn: OutputFunction,
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    headers: Record<string, string | string[]>,
  ): Promise<void> {
    let port: number;
    try {
      port = await this.start(fn).port;
    } catch (error) {
      this.options.log(fn, `FUNCTION_INVOCATION_FAILED: ${(error as Error).message}`);
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      response.end("500: INTERNAL_SERVER_ERROR\nCode: FUNCTION_INVOCATION_FAILED\n");
      return;
    }
    await new Promise<void>((resolve) => {
      const upstream = httpRequest(
        { host: "127.0.0.1", port, method: request.method, path, headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.once("end", resolve);
          answer.once("error", () => resolve());
        },
      );
      upstream.once("error", (error) => {
        this.options.log(fn, `FUNCTION_INVOCATION_FAILED: ${error.message}`);
        if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
        response.end("502: BAD_GATEWAY\nCode: FUNCTION_INVOCATION_FAILED\n");
        resolve();
      });
      request.pipe(upstream);
    });
  }

  async stop(): Promise<void> {
    const children = [...this.running.values()].map((entry) => entry.child).filter(Boolean);
    this.running.clear();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
  }
}
