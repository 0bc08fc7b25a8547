// Runs `next dev` or `next start` for apps/web as a child of this script, on the address
// listen.ts decides, and stops it with this process. Shared by `pnpm dev` and the `serve` script.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pc from "picocolors";
import { listenArgs, networkWarning, portOf } from "./listen";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const NEXT_BIN = fileURLToPath(new URL("../node_modules/next/dist/bin/next", import.meta.url));

/** Exit code of next; 0 when this process was asked to stop (Ctrl-C, SIGTERM). */
export async function runNext(
  command: "dev" | "start",
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const listen = listenArgs(args);
  if (listen.network) {
    for (const line of networkWarning(portOf(listen.args))) console.log(pc.yellow(line));
  }
  // next itself, not `pnpm run …`: pnpm does not pass a signal sent to it alone on to its script,
  // so a SIGTERM to this process (a process manager, an editor's stop button) would stop the
  // sandbox and leave next serving on its port.
  const child = spawn(process.execPath, [NEXT_BIN, command, ...listen.args], {
    cwd: APP_DIR,
    stdio: "inherit",
    env,
  });

  // Ctrl-C reaches next through the terminal's process group; SIGTERM must be passed on.
  let stopping = false;
  const forward = (signal: NodeJS.Signals) => {
    stopping = true;
    if (child.exitCode === null) child.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);

  const code = await new Promise<number>((resolve) => {
    child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 0 : 1)));
    child.once("error", (error) => {
      console.error(`Could not run next ${command}: ${error.message}`);
      resolve(1);
    });
  });
  return stopping ? 0 : code;
}
