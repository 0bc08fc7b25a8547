// Each route to moto, in order, on a PATH made for the test (fake commands stand in for the ones
// this machine lacks and hand over to its real moto), and the one line shown when none exists.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { MotoUnavailableError, resolveMotoCommand, startMoto } from "../src/moto";
import {
  COREPACK_INSTALL_COMMAND,
  chromiumMissingLine,
  commandOnPath,
  corepackMissingLine,
  findChromium,
  findMoto,
  keylessMotoProblem,
  MOTO_IMAGE,
  motoInstallCommand,
  motoMissingLine,
} from "../src/prerequisites";

const PYTHON = commandOnPath("python3") as string;
const root = mkdtempSync(join(tmpdir(), "keyless-prerequisites-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding exactly these executables (shell scripts or links), to use as PATH. */
function binFolder(name: string, entries: Record<string, string | { link: string }>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, body] of Object.entries(entries)) {
    const path = join(dir, file);
    if (typeof body === "string") {
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
    } else {
      symlinkSync(body.link, path);
    }
  }
  return dir;
}

/** Starts moto through `env`'s route and proves it answers like moto. */
async function startsThrough(env: Record<string, string>) {
  const command = findMoto(env);
  expect(command).toBeDefined();
  const moto = await startMoto({ command });
  try {
    const response = await fetch(`${moto.endpoint}/moto-api/data.json`);
    expect(response.status).toBe(200);
  } finally {
    await moto.stop();
  }
  return command?.route;
}

describe("finding moto", { timeout: 60_000 }, () => {
  it("a KEYLESS_MOTO whose program is not a command is one line at once, not a timeout", async () => {
    const path = binFolder("keyless-moto-empty", {});
    expect(keylessMotoProblem({ PATH: path, KEYLESS_MOTO: "/nonexistent/moto_server -v" })).toMatch(
      /^KEYLESS_MOTO runs "\/nonexistent\/moto_server", which is not an executable file: fix KEYLESS_MOTO, or unset it/,
    );
    expect(
      keylessMotoProblem({ PATH: path, KEYLESS_MOTO: "uvx --from moto[server] moto_server" }),
    ).toContain('"uvx", which is not a command on PATH');
    expect(
      keylessMotoProblem({
        PATH: process.env.PATH ?? "",
        KEYLESS_MOTO: `${PYTHON} -m moto.server`,
      }),
    ).toBeUndefined();
    expect(keylessMotoProblem({ PATH: path })).toBeUndefined();
    // What the sandbox and pnpm dev get: the explained error, before anything starts.
    vi.stubEnv("KEYLESS_MOTO", "/nonexistent/moto_server");
    try {
      expect(() => resolveMotoCommand()).toThrow(MotoUnavailableError);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("KEYLESS_MOTO first: a command line, given the host and port", async () => {
    const env = { PATH: process.env.PATH ?? "", KEYLESS_MOTO: `${PYTHON} -m moto.server` };
    expect(await startsThrough(env)).toBe("KEYLESS_MOTO");
  });

  it("then moto_server on PATH (pipx, uv tool)", async () => {
    const bin = binFolder("moto-server", { moto_server: `exec ${PYTHON} -m moto.server "$@"` });
    expect(await startsThrough({ PATH: `${bin}:${process.env.PATH}` })).toBe("moto_server");
  });

  it("then python3 -m moto.server", async () => {
    const bin = binFolder("python-only", { python3: { link: PYTHON } });
    expect(await startsThrough({ PATH: bin })).toBe("python3");
  });

  it("then the motoserver/moto image where a Docker engine answers", async () => {
    // A stand-in docker: `info` answers; `run … -p HOST:PORT:5000 IMAGE` serves moto there.
    const bin = binFolder("docker", {
      docker: [
        'if [ "$1" = info ]; then exit 0; fi',
        `for a; do case "$a" in *:5000) hp="\${a%:5000}";; esac; last="$a"; done`,
        `[ "$last" = "${MOTO_IMAGE}" ] || exit 9`,
        `exec ${PYTHON} -m moto.server -H "\${hp%:*}" -p "\${hp##*:}"`,
      ].join("\n"),
    });
    expect(await startsThrough({ PATH: bin })).toBe("docker");
  });

  it("skips a Docker CLI whose engine does not answer", () => {
    const bin = binFolder("docker-down", { docker: "exit 1" });
    expect(findMoto({ PATH: bin })).toBeUndefined();
  });

  it("with no route: one line naming what is missing and the command that installs it", () => {
    const empty = binFolder("empty", {});
    const line = motoMissingLine({ PATH: empty });
    expect(findMoto({ PATH: empty })).toBeUndefined();
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toContain("moto (the local AWS emulator) was not found");
    expect(line).toContain(motoInstallCommand({ PATH: empty }));
  });
});

describe("the install command for this OS", () => {
  it("prefers uv, then pipx, then brew on macOS", () => {
    const uv = binFolder("with-uv", { uv: "exit 0", pipx: "exit 0" });
    expect(motoInstallCommand({ PATH: uv }, "linux")).toBe('uv tool install "moto[server]"');
    const pipx = binFolder("with-pipx", { pipx: "exit 0" });
    expect(motoInstallCommand({ PATH: pipx }, "linux")).toBe('pipx install "moto[server]"');
    const none = binFolder("nothing", {});
    expect(motoInstallCommand({ PATH: none }, "darwin")).toBe(
      'brew install pipx && pipx install "moto[server]"',
    );
  });

  it("uses apt where apt-get is the package manager", () => {
    const apt = binFolder("with-apt", { "apt-get": "exit 0" });
    expect(motoInstallCommand({ PATH: apt }, "linux")).toBe(
      'sudo apt-get install -y pipx && pipx install "moto[server]"',
    );
    expect(chromiumMissingLine({ PATH: apt }, "linux")).toContain(
      "`sudo apt-get install -y chromium`",
    );
  });
});

describe("Corepack, for the Vercel path's builds", () => {
  it("is one line with the install command when it is not on PATH, and nothing when it is", () => {
    const without = binFolder("no-corepack", { node: "exit 0" });
    const line = corepackMissingLine({ PATH: without });
    expect(line?.split("\n")).toHaveLength(1);
    expect(line).toContain(`\`${COREPACK_INSTALL_COMMAND}\``);
    const withIt = binFolder("with-corepack", { corepack: "exit 0" });
    expect(corepackMissingLine({ PATH: withIt })).toBeUndefined();
  });
});

describe("finding Chromium", () => {
  it("CHROMIUM_PATH first, then a system browser on PATH, then Playwright's own", () => {
    const empty = binFolder("no-browser", {});
    expect(findChromium({ PATH: empty, CHROMIUM_PATH: "/opt/chrome" })).toBe("/opt/chrome");
    const system = binFolder("system-browser", { "google-chrome": "exit 0" });
    expect(findChromium({ PATH: system })).toBe(join(system, "google-chrome"));
    expect(findChromium({ PATH: empty }, () => "/playwright/chromium")).toBe(
      "/playwright/chromium",
    );
    expect(findChromium({ PATH: empty })).toBeUndefined();
  });
});
