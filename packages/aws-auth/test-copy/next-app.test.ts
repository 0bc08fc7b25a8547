// "Copy it into a Next.js app", tested as the README says it: a Next.js 16 app outside the
// workspace (no Turborepo, no catalog), made the way create-next-app makes one; then exactly the
// blocks of the README's section, in order — the shell commands (the documented copy command and
// `pnpm add`), the pnpm-workspace.yaml approval, the tsconfig exclude, next.config.ts, the route
// handler. Nothing else is added to the app, so a step the README lacks fails here. Then
// `next build` with no AWS variables, `next start`, and the route resolves credentials through the
// copy in web-identity-file mode against moto (a token from a local RS256 issuer, a role made
// through IAM): it answers with the role it assumed.
// The only liberty taken with the README: `--prefer-offline` on the pnpm commands, so the install
// comes from the store the workspace install filled.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceCatalog } from "../scripts/copy.mjs";
import { createIssuer } from "../test/helpers/issuer";
import {
  type CountingProxy,
  freePort,
  type Moto,
  startCountingProxy,
  startMoto,
} from "../test/helpers/moto";
import { createVercelRole } from "../test/helpers/vercel-role";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, "..", "..");
const README = readFileSync(join(PACKAGE_DIR, "README.md"), "utf8");
const SECTION_TITLE = "## Copy it into a Next.js app";

/** Versions the workspace pins (its catalog), so the app installs from the same store. */
const catalog: Record<string, string> = workspaceCatalog();
const installed = (name: string): string => {
  const version = catalog[name];
  if (!version) throw new Error(`${name} is not in pnpm-workspace.yaml's catalog`);
  return version;
};

type Block = { lang: string; body: string; before: string };

/** The fenced blocks of the README's Next.js section, de-indented, with the prose before each. */
function readmeBlocks(): Block[] {
  const start = README.indexOf(SECTION_TITLE);
  expect(start, `README has "${SECTION_TITLE}"`).toBeGreaterThan(-1);
  const end = README.indexOf("\n## ", start + SECTION_TITLE.length);
  const section = README.slice(start, end === -1 ? undefined : end);
  const blocks: Block[] = [];
  let last = 0;
  for (const match of section.matchAll(/^( *)```(\w+)\n([\s\S]*?)^ *```$/gm)) {
    const indent = match[1]?.length ?? 0;
    const body = (match[3] ?? "")
      .split("\n")
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join("\n");
    blocks.push({ lang: match[2] ?? "", body, before: section.slice(last, match.index) });
    last = (match.index ?? 0) + match[0].length;
  }
  return blocks;
}

/** What a plain create-next-app (TypeScript, App Router, pnpm) gives, before any README step. */
function writePlainNextApp(dir: string): void {
  const files: Record<string, string> = {
    "package.json": JSON.stringify(
      {
        name: "my-app",
        version: "0.1.0",
        private: true,
        scripts: { dev: "next dev", build: "next build", start: "next start" },
        dependencies: {
          next: installed("next"),
          react: installed("react"),
          "react-dom": installed("react-dom"),
        },
        devDependencies: {
          typescript: "5.9.3",
          "@types/node": installed("@types/node"),
          "@types/react": installed("@types/react"),
          "@types/react-dom": installed("@types/react-dom"),
        },
      },
      null,
      2,
    ),
    // pnpm 10+ asks about Next's optional sharp; the app answers it itself.
    "pnpm-workspace.yaml": "allowBuilds:\n  sharp: false\nupdateNotifier: false\n",
    "tsconfig.json": JSON.stringify(
      {
        compilerOptions: {
          target: "ES2017",
          lib: ["dom", "dom.iterable", "esnext"],
          allowJs: true,
          skipLibCheck: true,
          strict: true,
          noEmit: true,
          esModuleInterop: true,
          module: "esnext",
          moduleResolution: "bundler",
          resolveJsonModule: true,
          isolatedModules: true,
          jsx: "react-jsx",
          incremental: true,
          plugins: [{ name: "next" }],
          paths: { "@/*": ["./*"] },
        },
        include: ["next-env.d.ts", "**/*.ts", "**/*.tsx", ".next/types/**/*.ts"],
        exclude: ["node_modules"],
      },
      null,
      2,
    ),
    "next.config.ts":
      'import type { NextConfig } from "next";\n\nconst nextConfig: NextConfig = {};\n\nexport default nextConfig;\n',
    "app/layout.tsx":
      'export default function RootLayout({ children }: { children: React.ReactNode }) {\n  return (\n    <html lang="en">\n      <body>{children}</body>\n    </html>\n  );\n}\n',
    "app/page.tsx": "export default function Home() {\n  return <main>my app</main>;\n}\n",
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

/** The environment of the commands: this one without any AWS or Vercel configuration. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true", NEXT_TELEMETRY_DISABLED: "1" };
  for (const key of Object.keys(env)) {
    if (/^(AWS_|VERCEL|TURBO_|npm_|INIT_CWD$|NODE_ENV$)/.test(key)) delete env[key];
  }
  return { ...env, ...extra };
}

function run(command: string, cwd: string, env = cleanEnv()) {
  const result = spawnSync("sh", ["-c", command], { cwd, env, encoding: "utf8" });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** Runs the README's shell block: `cd` moves, the rest runs where it is; ../my-app is `app`. */
function runShellBlock(body: string, app: string): string[] {
  let cwd = REPO_ROOT;
  const ran: string[] = [];
  for (const raw of body.split("\n")) {
    const line = raw
      .replace(/\s+#.*$/, "")
      .replaceAll("../my-app", app)
      .trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("cd ")) {
      cwd = line.slice(3).trim();
      continue;
    }
    const command = line.replace(/^pnpm (add|install)\b/, "pnpm $1 --prefer-offline");
    const result = run(command, cwd);
    expect(result.code, `${command}\n${result.output.slice(-3000)}`).toBe(0);
    ran.push(line);
  }
  return ran;
}

/** Merges the README's yaml lines under the same top-level key of the app's file. */
function mergeYaml(file: string, snippet: string): void {
  const [key, ...children] = snippet.trimEnd().split("\n");
  const text = readFileSync(file, "utf8");
  const next = text.includes(`${key}\n`)
    ? text.replace(`${key}\n`, `${key}\n${children.join("\n")}\n`)
    : `${text}${snippet.trimEnd()}\n`;
  writeFileSync(file, next);
}

async function waitForServer(url: string, server: ChildProcess, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited:\n${log()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`next start did not answer at ${url}:\n${log()}`);
}

async function nextStart(app: string, env: NodeJS.ProcessEnv) {
  const port = await freePort();
  let output = "";
  const server = spawn("pnpm", ["exec", "next", "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: app,
    env,
  });
  server.stdout?.on("data", (chunk) => (output += chunk));
  server.stderr?.on("data", (chunk) => (output += chunk));
  const base = `http://127.0.0.1:${port}`;
  await waitForServer(base, server, () => output);
  return {
    base,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once("exit", () => resolve());
        server.kill("SIGTERM");
      }),
  };
}

describe("aws-auth copied into a plain Next.js app, as its README says", () => {
  const parent = mkdtempSync(join(tmpdir(), "aws-auth-next-app-"));
  const app = join(parent, "my-app");
  const blocks = readmeBlocks();
  let routeFile = "";
  let moto: Moto;
  let proxy: CountingProxy;
  const servers: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    writePlainNextApp(app);
    const base = run("pnpm install --prefer-offline", app);
    expect(base.code, base.output.slice(-3000)).toBe(0);

    // The README's blocks, in the order it gives them (the approval goes in before `pnpm add`).
    const byLang = (lang: string) => blocks.filter((block) => block.lang === lang);
    const [yaml] = byLang("yaml");
    const [json] = byLang("json");
    const [shell] = byLang("sh");
    const [nextConfig, route] = byLang("ts");
    mergeYaml(join(app, "pnpm-workspace.yaml"), yaml?.body ?? "");
    runShellBlock(shell?.body ?? "", app);
    const tsconfig = JSON.parse(readFileSync(join(app, "tsconfig.json"), "utf8"));
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({ ...tsconfig, ...JSON.parse(`{${json?.body}}`) }, null, 2),
    );
    writeFileSync(join(app, "next.config.ts"), nextConfig?.body ?? "");
    routeFile = [...(route?.before ?? "").matchAll(/`(app\/[\w/[\].-]+\.ts)`/g)].pop()?.[1] ?? "";
    mkdirSync(dirname(join(app, routeFile)), { recursive: true });
    writeFileSync(join(app, routeFile), route?.body ?? "");

    const build = run("pnpm exec next build", app);
    expect(build.code, build.output.slice(-4000)).toBe(0);

    moto = await startMoto();
    proxy = await startCountingProxy(moto.endpoint);
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await proxy?.stop();
    await moto?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it("gives every step as a block: commands, approval, tsconfig, next.config, a route", () => {
    expect(blocks.map((block) => block.lang)).toEqual(["sh", "yaml", "json", "ts", "ts"]);
    expect(blocks[0]?.body).toMatch(/^pnpm copy:aws-auth \.\.\/my-app\/aws-auth/m);
    expect(routeFile).toMatch(/^app\/.+\/route\.ts$/);
  });

  it("leaves a plain app: no catalog, no workspace package, the copy as a local dependency", () => {
    const pkg = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
    expect(pkg.dependencies["@repo/aws-auth"]).toMatch(/^file:\.?\/?aws-auth$/);
    expect(JSON.stringify(pkg)).not.toMatch(/catalog:|workspace:/);
    expect(readFileSync(join(app, "aws-auth/package.json"), "utf8")).not.toMatch(/catalog:/);
    expect(readFileSync(join(app, "next.config.ts"), "utf8")).toContain("transpilePackages");
  });

  it("serves the route, which resolves credentials through the copy (web-identity-file mode)", async () => {
    const roleArn = await createVercelRole(moto.endpoint, "MyAppProduction");
    const tokenFile = join(parent, "web-identity-token");
    writeFileSync(tokenFile, await (await createIssuer()).mint({ environment: "production" }));

    const server = await nextStart(
      app,
      cleanEnv({
        AWS_REGION: "us-east-1",
        AWS_ROLE_ARN: roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ENDPOINT_URL: proxy.endpoint,
        USER: "storefront",
      }),
    );
    servers.push(server);
    const path = `/${routeFile.replace(/^app\//, "").replace(/\/route\.ts$/, "")}`;
    const first = await fetch(`${server.base}${path}`);
    const body = (await first.json()) as { arn: string; account: string };
    expect(first.status, JSON.stringify(body)).toBe(200);
    expect(body.arn).toBe(
      "arn:aws:sts::123456789012:assumed-role/MyAppProduction/keyless-storefront",
    );
    expect(body.account).toBe("123456789012");
    const second = await fetch(`${server.base}${path}`);
    expect(((await second.json()) as { arn: string }).arn).toBe(body.arn);
    // One process, one provider: both requests were served by a single exchange of that token.
    expect(proxy.exchanges()).toBe(1);
    expect(proxy.lastSubject()).toBe("owner:acme:project:web:environment:production");
  });

  it("with no AWS variables, the same route answers 503 with the explained error", async () => {
    const server = await nextStart(app, cleanEnv());
    servers.push(server);
    const path = `/${routeFile.replace(/^app\//, "").replace(/\/route\.ts$/, "")}`;
    const response = await fetch(`${server.base}${path}`);
    const body = (await response.json()) as { error: string; title: string; fixes: string[] };
    expect(response.status).toBe(503);
    expect(body.error).toMatch(/^[a-z-]+$/);
    expect(body.title.length).toBeGreaterThan(0);
    expect(body.fixes.length).toBeGreaterThan(0);
  });
});
