// What keeps a copy of the template alive and a new contributor productive: Renovate's
// configuration, validated by Renovate's own validator and read against the repository it updates
// (each group names dependencies that exist, each custom pin is found where it is said to be, and
// the pins of one tool agree), and the dev container and editor set-up, read against the files they
// rely on. The container itself is not started here (no Docker engine); no npm package carries the
// dev-container JSON schema, so its shape is checked by what this repository needs of it.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/root.mjs";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/**
 * What the installer and the validator are given of this environment: a path, a home and the
 * network's CA and proxy settings, never a token or credential the developer has exported.
 */
const NETWORK_ONLY = Object.fromEntries(
  Object.entries(process.env).filter(([name]) =>
    /^(PATH|HOME|TMPDIR|XDG_\w+|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|(HTTPS?|NO)_PROXY|(https?|no)_proxy|npm_config_\w+|NPM_CONFIG_\w+)$/.test(
      name,
    ),
  ),
);
const readJson = <T>(path: string) => JSON.parse(read(path)) as T;

/** Renovate's own validator, from the npm registry; this pin is the only one. */
const RENOVATE_VALIDATOR = "renovate@44.121.2";

interface RenovateConfig {
  extends?: string[];
  rangeStrategy?: string;
  packageRules?: {
    groupName?: string;
    matchDepTypes?: string[];
    rangeStrategy?: string;
    matchPackageNames?: string[];
    matchDepNames?: string[];
    allowedVersions?: string;
  }[];
  customManagers?: {
    managerFilePatterns: string[];
    matchStrings: string[];
    depNameTemplate?: string;
  }[];
}

const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
  .split("\0")
  .filter((file) => file && existsSync(join(ROOT, file)));

/** Renovate's `/regex/` strings and `**` globs, as JavaScript regular expressions. */
function pattern(text: string): RegExp {
  const regex = /^\/(.*)\/$/.exec(text);
  if (regex?.[1]) return new RegExp(regex[1]);
  const glob = text.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*?/g, ".*");
  return new RegExp(`^${glob}$`);
}

/** Every npm dependency the repository declares: the catalog and each package.json. */
function declaredDependencies(): Set<string> {
  const names = new Set<string>();
  const catalog = /^catalog:\n((?:\s+.+\n)+)/m.exec(read("pnpm-workspace.yaml"))?.[1] ?? "";
  for (const line of catalog.split("\n")) {
    const name = /^\s+"?([^":\s]+)"?:/.exec(line)?.[1];
    if (name) names.add(name);
  }
  for (const file of tracked.filter((f) => f.endsWith("package.json"))) {
    const manifest = readJson<Record<string, Record<string, string> | undefined>>(file);
    for (const field of ["dependencies", "devDependencies", "peerDependencies"]) {
      for (const name of Object.keys(manifest[field] ?? {})) names.add(name);
    }
  }
  return names;
}

describe("Renovate (renovate.json)", () => {
  const config = readJson<RenovateConfig>("renovate.json");
  let validator = "";
  let dir = "";

  beforeAll(() => {
    // Installed beside the repository, not into it: Renovate brings ~600 packages that no copy of
    // the template needs for anything else. Its native build scripts are declined (re2 falls back
    // to JavaScript's RegExp, which the validator says; nothing is compiled).
    dir = mkdtempSync(join(tmpdir(), "keyless-renovate-"));
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        private: true,
        devDependencies: { renovate: RENOVATE_VALIDATOR.split("@")[1] },
      }),
    );
    writeFileSync(
      join(dir, "pnpm-workspace.yaml"),
      [
        "allowBuilds:",
        ...["core-js-pure", "dtrace-provider", "protobufjs", "re2"].map((n) => `  ${n}: false`),
        "fetchTimeout: 30000",
        "fetchRetries: 2",
        "",
      ].join("\n"),
    );
    try {
      execFileSync("pnpm", ["install", "--prefer-offline", "--reporter=silent"], {
        cwd: dir,
        env: NETWORK_ONLY,
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 300_000,
      });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? "").slice(-1500);
      throw new Error(
        `Installing ${RENOVATE_VALIDATOR} from the npm registry failed (behind a TLS-re-signing proxy, set NODE_EXTRA_CA_CERTS): ${stderr}`,
      );
    }
    validator = join(dir, "node_modules", ".bin", "renovate-config-validator");
  }, 330_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  /** The validator run on a folder holding `renovate.json` with `text`: exit code and messages. */
  function validate(text: string): { code: number; output: string } {
    const repo = join(dir, `repo-${Math.random().toString(36).slice(2)}`);
    mkdirSync(repo);
    writeFileSync(join(repo, "renovate.json"), text);
    try {
      const output = execFileSync(validator, ["--strict"], {
        cwd: repo,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 60_000,
        env: { ...NETWORK_ONLY, LOG_LEVEL: "info", NO_COLOR: "1" },
      });
      return { code: 0, output };
    } catch (error) {
      const failed = error as { status?: number; stdout?: string };
      return { code: failed.status ?? 1, output: failed.stdout ?? "" };
    }
  }

  it("passes Renovate's own validator, strictly (no deprecated option either)", () => {
    expect(validate(read("renovate.json"))).toMatchObject({ code: 0 });
  });

  it("and the validator refuses what is wrong (an unknown option)", () => {
    const wrong = validate(JSON.stringify({ ...config, packageRulez: [] }));
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toContain("Invalid configuration option: packageRulez");
  });

  it("pins exact versions, but keeps engines and peer dependencies as ranges", () => {
    expect(config.rangeStrategy).toBe("pin");
    const ranges = (config.packageRules ?? []).find((rule) =>
      rule.matchDepTypes?.includes("peerDependencies"),
    );
    expect(ranges).toMatchObject({
      matchDepTypes: ["engines", "peerDependencies"],
      rangeStrategy: "replace",
    });
  });

  it("uses only presets built into Renovate: reading it fetches nothing", () => {
    for (const preset of config.extends ?? []) {
      expect(preset).toMatch(/^[a-z]*:[\w-]+(\([^)]*\))?$/);
    }
  });

  it("groups the AWS SDK, the CDK, Next.js and React, Vercel and the workflows' actions", () => {
    const groups = (config.packageRules ?? []).map((rule) => rule.groupName).filter(Boolean);
    expect(groups).toEqual(
      expect.arrayContaining([
        "AWS SDK",
        "AWS CDK",
        "Next.js and React",
        "Vercel",
        "GitHub Actions",
      ]),
    );
  });

  it("names in its package groups only dependencies the repository has, and each group some", () => {
    const declared = [...declaredDependencies()];
    for (const rule of config.packageRules ?? []) {
      for (const name of rule.matchPackageNames ?? []) {
        expect({
          group: rule.groupName,
          name,
          found: declared.some((d) => pattern(name).test(d)),
        }).toEqual({ group: rule.groupName, name, found: true });
      }
    }
  });

  it("keeps Node on the .nvmrc line: .nvmrc, engines, @types/node and the container's image", () => {
    const major = read(".nvmrc").trim().replace(/^v/, "").split(".")[0];
    const rule = (config.packageRules ?? []).find((r) => r.matchDepNames?.includes("node"));
    expect(rule?.matchDepNames).toEqual(
      expect.arrayContaining([
        "node",
        "@types/node",
        "mcr.microsoft.com/devcontainers/javascript-node",
      ]),
    );
    const allowed = pattern(rule?.allowedVersions ?? "");
    const image = readJson<{ image: string }>(".devcontainer/devcontainer.json").image;
    for (const version of [read(".nvmrc").trim(), "24.19.4", image.split(":")[1] ?? ""]) {
      expect(allowed.test(version)).toBe(true);
    }
    expect(allowed.test(`${Number(major) + 1}.0.0`)).toBe(false);
    expect(allowed.test(`${Number(major) + 1}-bookworm`)).toBe(false);
  });

  it("finds every pin its custom managers describe, and the pins of one tool agree", () => {
    const versions = new Map<string, Set<string>>();
    for (const manager of config.customManagers ?? []) {
      const files = tracked.filter((file) =>
        manager.managerFilePatterns.some((p) => pattern(p).test(file)),
      );
      expect(files.length).toBe(manager.managerFilePatterns.length);
      for (const file of files) {
        const text = read(file);
        const found = manager.matchStrings.flatMap((match) =>
          [...text.matchAll(new RegExp(match, "g"))].map((m) => ({
            name: manager.depNameTemplate ?? m.groups?.depName ?? "",
            version: m.groups?.currentValue ?? "",
          })),
        );
        expect({ file, found: found.length > 0 }).toEqual({ file, found: true });
        for (const { name, version } of found) {
          const tool = name.split("/").at(-1) ?? name;
          versions.set(tool, new Set([...(versions.get(tool) ?? []), version]));
        }
      }
    }
    expect([...versions.keys()].sort()).toEqual(["corepack", "moto"]);
    for (const [tool, seen] of versions)
      expect({ tool, versions: seen.size }).toEqual({ tool, versions: 1 });
  });
});

describe("the dev container and the editor", () => {
  const container = readJson<{
    image: string;
    features?: Record<string, Record<string, unknown>>;
    postCreateCommand: string;
    remoteEnv?: Record<string, string>;
    forwardPorts?: number[];
    customizations?: { vscode?: { extensions?: string[] } };
  }>(".devcontainer/devcontainer.json");

  it("starts from Node on the .nvmrc line, with a Python for moto", () => {
    const major = read(".nvmrc").trim().split(".")[0];
    expect(container.image).toMatch(
      new RegExp(`^mcr\\.microsoft\\.com/devcontainers/javascript-node:1-${major}-`),
    );
    expect(Object.keys(container.features ?? {})).toContain(
      "ghcr.io/devcontainers/features/python:1",
    );
  });

  it("installs with the installer CI uses, and keeps what it installs on PATH", () => {
    expect(container.postCreateCommand).toBe("bash .ci/install");
    expect(read(".ci/run")).toMatch(/^source \.ci\/install$/m);
    // .ci/install links the tools it installs into $tools/bin, $tools = ~/.cache/keyless.
    const install = read(".ci/install");
    expect(install).toMatch(/^tools="\$\{XDG_CACHE_HOME:-\$HOME\/\.cache\}\/keyless"$/m);
    expect(install).toContain('ln -sfn "$found" "$tools/bin/$tool"');
    // The image's user is `node`.
    expect(container.remoteEnv?.PATH?.split(":")[0]).toBe("/home/node/.cache/keyless/bin");
  });

  it("forwards the app's port (pnpm dev serves on next's default, 3000)", () => {
    expect(read("apps/web/scripts/listen.ts")).toContain('port ?? "3000"');
    expect(container.forwardPorts).toContain(3000);
  });

  it("recommends Biome, which formats and lints this repository, in the container and the editor", () => {
    const recommended = readJson<{ recommendations: string[] }>(
      ".vscode/extensions.json",
    ).recommendations;
    expect(recommended).toEqual(["biomejs.biome"]);
    expect(container.customizations?.vscode?.extensions).toEqual(recommended);
    const settings = readJson<Record<string, unknown>>(".vscode/settings.json");
    expect(settings["editor.defaultFormatter"]).toBe("biomejs.biome");
    expect(
      readJson<{ devDependencies: Record<string, string> }>("package.json").devDependencies,
    ).toHaveProperty("@biomejs/biome");
  });
});
