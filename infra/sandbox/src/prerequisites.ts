// What the sandbox and the browser tests need from the machine, found before any slow work starts,
// and the one command that installs what is missing on this OS. moto is looked for in order: the
// KEYLESS_MOTO command line, `moto_server` on PATH (pipx, uv tool), `python3 -m moto.server`, then
// the motoserver/moto image where a Docker engine answers.

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** The full path of `name` on PATH, like `command -v`; undefined when it is not there. */
export function commandOnPath(name: string, env: Env = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

/** The moto image the Docker route runs: the same moto release the Python routes are tested on. */
export const MOTO_IMAGE = "motoserver/moto:5.2.1";

export type MotoRoute = "KEYLESS_MOTO" | "moto_server" | "python3" | "docker";

export interface MotoCommand {
  route: MotoRoute;
  /** The command line that serves moto on `host:port`. */
  argv(host: string, port: number): string[];
}

/*
 * On the python3 route moto runs under a few lines of Python that exit as soon as our stdin pipe
 * closes, so moto dies with the Node process even when Node is killed with SIGKILL and never runs
 * its own cleanup.
 */
export const MOTO_LAUNCHER = [
  "import os, sys, threading",
  "def _exit_with_parent():",
  "    sys.stdin.buffer.read()",
  "    os._exit(0)",
  "threading.Thread(target=_exit_with_parent, daemon=True).start()",
  "from moto.server import main",
  "main(sys.argv[1:])",
].join("\n");

export const pythonMoto = (python: string): MotoCommand => ({
  route: "python3",
  argv: (host, port) => [python, "-c", MOTO_LAUNCHER, "-H", host, "-p", String(port)],
});

const hasMotoModule = (python: string) =>
  spawnSync(
    python,
    ["-c", "import importlib.util as u, sys; sys.exit(0 if u.find_spec('moto') else 1)"],
    { stdio: "ignore", timeout: 10_000 },
  ).status === 0;

const dockerAnswers = (docker: string) =>
  spawnSync(docker, ["info", "--format", "{{.ServerVersion}}"], {
    stdio: "ignore",
    timeout: 10_000,
  }).status === 0;

/*
 * The other routes run a command we cannot add those lines to, so a small sh wrapper does the
 * same: it starts the command, and kills it when our stdin pipe closes (Node exited, even by
 * SIGKILL) or when it gets SIGTERM itself.
 */
const EXIT_WITH_PARENT = [
  '"$@" </dev/null & pid=$!',
  "trap 'kill $pid 2>/dev/null' TERM INT",
  "exec 3<&0",
  "cat <&3 >/dev/null & wait $!",
  "kill $pid 2>/dev/null",
  "wait $pid",
].join("\n");

const exitingWithParent = (argv: string[]) => ["/bin/sh", "-c", EXIT_WITH_PARENT, "moto", ...argv];

/** The first way to run moto this machine offers, or undefined when there is none. */
export function findMoto(env: Env = process.env): MotoCommand | undefined {
  const configured = env.KEYLESS_MOTO?.trim();
  if (configured) {
    // A plain command line split on spaces, e.g. "uvx --from moto[server] moto_server".
    const words = configured.split(/\s+/);
    return {
      route: "KEYLESS_MOTO",
      argv: (host, port) => exitingWithParent([...words, "-H", host, "-p", String(port)]),
    };
  }
  const server = commandOnPath("moto_server", env);
  if (server) {
    return {
      route: "moto_server",
      argv: (host, port) => exitingWithParent([server, "-H", host, "-p", String(port)]),
    };
  }
  const python = commandOnPath("python3", env);
  if (python && hasMotoModule(python)) return pythonMoto(python);
  const docker = commandOnPath("docker", env);
  if (docker && dockerAnswers(docker)) {
    return {
      route: "docker",
      // moto listens on 5000 inside the image; publish it on the loopback port we picked.
      argv: (host, port) =>
        exitingWithParent([docker, "run", "--rm", "-p", `${host}:${port}:5000`, MOTO_IMAGE]),
    };
  }
  return undefined;
}

/**
 * Why KEYLESS_MOTO cannot run (its program is not a command here), or undefined. Checked before
 * moto starts: the wrapper that runs it would otherwise wait out moto's start timeout and say only
 * that nothing listened.
 */
export function keylessMotoProblem(env: Env = process.env): string | undefined {
  const program = env.KEYLESS_MOTO?.trim().split(/\s+/)[0];
  if (!program) return undefined;
  const found = program.includes("/")
    ? (() => {
        try {
          accessSync(program, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      })()
    : commandOnPath(program, env) !== undefined;
  if (found) return undefined;
  return `KEYLESS_MOTO runs "${program}", which is ${program.includes("/") ? "not an executable file" : "not a command on PATH"}: fix KEYLESS_MOTO, or unset it to use moto_server, python3 -m moto.server or Docker (${motoInstallCommand(env)} installs moto)`;
}

/** Debian, Ubuntu and their kin: apt is how things get installed. */
const usesApt = (env: Env) =>
  commandOnPath("apt-get", env) !== undefined || existsSync("/etc/debian_version");

/** The one command that installs moto's server on this OS. */
export function motoInstallCommand(env: Env = process.env, platform = process.platform): string {
  if (commandOnPath("uv", env)) return 'uv tool install "moto[server]"';
  if (commandOnPath("pipx", env)) return 'pipx install "moto[server]"';
  if (platform === "darwin") return 'brew install pipx && pipx install "moto[server]"';
  if (usesApt(env)) return 'sudo apt-get install -y pipx && pipx install "moto[server]"';
  return 'python3 -m pip install --user "moto[server]"';
}

/** The one line shown when no route to moto exists. */
export function motoMissingLine(env: Env = process.env, platform = process.platform): string {
  return `moto (the local AWS emulator) was not found: install it with \`${motoInstallCommand(env, platform)}\` (or set KEYLESS_MOTO to a command that runs it, or start a Docker engine)`;
}

/** A Chromium or Chrome for the browser tests: CHROMIUM_PATH, then the system's, then Playwright's. */
export function findChromium(
  env: Env = process.env,
  playwrightOwn: () => string | undefined = () => undefined,
): string | undefined {
  if (env.CHROMIUM_PATH?.trim()) return env.CHROMIUM_PATH.trim();
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const found = commandOnPath(name, env);
    if (found) return found;
  }
  for (const app of [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
  ]) {
    try {
      accessSync(app, constants.X_OK);
      return app;
    } catch {
      // Not installed there.
    }
  }
  return playwrightOwn();
}

/**
 * Playwright's launch options for the browser tests of every workspace: the browser `findChromium`
 * picks, headless, and without the background traffic a closed network refuses (updates, sync,
 * component downloads), so a run needs nothing but loopback.
 */
export function chromiumLaunchOptions(env: Env = process.env) {
  return {
    executablePath: findChromium(env),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  };
}

/** The one command that installs a browser the tests can drive, on this OS. */
export function chromiumInstallCommand(env: Env = process.env, platform = process.platform) {
  if (platform === "darwin") return "brew install --cask chromium";
  if (usesApt(env)) return "sudo apt-get install -y chromium";
  return "pnpm --filter @repo/web exec playwright install chromium";
}

export function chromiumMissingLine(env: Env = process.env, platform = process.platform): string {
  return `Chromium (for the browser tests) was not found: install it with \`${chromiumInstallCommand(env, platform)}\` (or set CHROMIUM_PATH to a Chrome or Chromium binary)`;
}

/**
 * The Vercel path (`pnpm vercel:local` and its tests) builds as Vercel does: \`vercel build\` runs
 * \`corepack enable\` to install the pnpm that package.json pins. Node 24 ships Corepack; Node 25
 * and later do not, nor does the Node the npm registry serves as the \`node\` package.
 */
export const COREPACK_INSTALL_COMMAND = "npm install -g corepack@0.36.0";

/** The one line shown when Corepack is not on PATH, or undefined when it is. */
export function corepackMissingLine(env: Env = process.env): string | undefined {
  if (commandOnPath("corepack", env)) return undefined;
  return `Corepack (Vercel's build installs the pinned pnpm through it) was not found on PATH: install it with \`${COREPACK_INSTALL_COMMAND}\` (Node 25 and later no longer ship it)`;
}
