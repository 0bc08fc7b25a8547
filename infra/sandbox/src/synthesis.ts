import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type InfraConfig, type InfraEnv, readInfraEnv } from "@repo/infra/config";
import { writePrivateFile } from "./state";

/** moto's default account: every ARN in the sandbox lives here. */
export const SANDBOX_ACCOUNT = "123456789012";

/** The sample Vercel team and project the sandbox stands for when the user configured none. */
export const SANDBOX_DEFAULTS = {
  VERCEL_TEAM_SLUG: "acme",
  VERCEL_PROJECT_NAME: "web",
  AWS_REGION: "us-east-1",
} as const;

/** The configuration the sandbox runs with and the template `cdk deploy` would deploy for it. */
export interface SynthesizedSandbox {
  config: InfraConfig;
  template: object;
  /** Stack output names: the role ARN of each environment, and the bucket. */
  outputKeys: {
    roles: Readonly<Record<string, string>>;
    bucket: string;
    /** The GitHub deploy role's ARN, when KEYLESS_GITHUB_REPOSITORY is set. */
    githubDeployRole?: string;
  };
}

/** The configuration is wrong: `message` lists every problem and the variable to fix. */
export class SandboxConfigError extends Error {
  override name = "SandboxConfigError";
}

export type SynthesisReply =
  | { ok: true; result: SynthesizedSandbox }
  | { ok: false; configError: boolean; message: string };

const CHILD = fileURLToPath(new URL("./synthesis-child.ts", import.meta.url));

const SANDBOX_ROOT = fileURLToPath(new URL("../", import.meta.url));
const CACHE_DIR = join(SANDBOX_ROOT, "node_modules", ".cache", "keyless-sandbox");
/** The stack workspace's sources (@repo/infra): the template is made from them. */
const STACK_SRC = dirname(createRequire(import.meta.url).resolve("@repo/infra/config"));

/**
 * Everything the template depends on: the configuration variables, the sources that build the
 * stack, and the CDK packages installed. Same key, same template, so synthesis is skipped.
 */
async function templateCacheKey(env: InfraEnv): Promise<string> {
  const hash = createHash("sha256");
  const variables = Object.keys(env)
    .filter((name) => /^(VERCEL_|AWS_|KEYLESS_|OIDC_)/.test(name))
    .sort();
  hash.update(JSON.stringify(variables.map((name) => [name, env[name]])));
  const sources = [
    join(SANDBOX_ROOT, "src/synthesis.ts"),
    join(SANDBOX_ROOT, "src/synthesis-child.ts"),
    ...(await readdir(STACK_SRC, { recursive: true }))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => join(STACK_SRC, file)),
  ].sort();
  for (const source of sources) hash.update(source).update(await readFile(source));
  // The CDK packages are the stack's dependencies: resolved from there.
  const resolve = createRequire(join(STACK_SRC, "config.ts")).resolve;
  for (const pkg of ["aws-cdk-lib", "cdk-nag", "constructs"]) {
    hash.update(await readFile(resolve(`${pkg}/package.json`)));
  }
  return hash.digest("hex").slice(0, 32);
}

/**
 * The configuration and template for `env` (undefined = the repo-root .env under the process
 * environment): from the cache when nothing they depend on changed, else synthesized in a child.
 */
export function synthesizeSandbox(
  env: InfraEnv | undefined,
  workDir: string,
): { result: Promise<SynthesizedSandbox>; cancel(): void } {
  const effectiveEnv = env ?? readInfraEnv();
  let child: ReturnType<typeof synthesizeInChild> | undefined;
  let cancelled = false;
  const result = (async () => {
    const key = await templateCacheKey(effectiveEnv);
    const cacheFile = join(CACHE_DIR, `${key}.json`);
    try {
      return JSON.parse(await readFile(cacheFile, "utf8")) as SynthesizedSandbox;
    } catch {
      // Not cached yet (or unreadable): synthesize.
    }
    if (cancelled) throw new Error("cancelled");
    child = synthesizeInChild(effectiveEnv, workDir);
    const synthesized = await child.result;
    await mkdir(CACHE_DIR, { recursive: true });
    await writePrivateFile(cacheFile, JSON.stringify(synthesized));
    return synthesized;
  })();
  return {
    result,
    cancel: () => {
      cancelled = true;
      child?.cancel();
    },
  };
}

/**
 * Loads the configuration and synthesizes the stack in a short-lived child process: the CDK
 * (with cdk-nag) takes ~300 MB that a process never gives back, and the sandbox runs for hours.
 * `env` undefined = the child reads the repo-root .env under its environment.
 */
export function synthesizeInChild(
  env: InfraEnv | undefined,
  workDir: string,
): { result: Promise<SynthesizedSandbox>; cancel(): void } {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = fork(CHILD, [], {
    execArgv: ["--import", tsxLoader],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.send({ env: env ?? null, workDir });
  const result = new Promise<SynthesizedSandbox>((resolve, reject) => {
    let reply: SynthesisReply | undefined;
    child.once("message", (message) => {
      reply = message as SynthesisReply;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (reply?.ok) resolve(reply.result);
      else if (reply)
        reject(
          reply.configError ? new SandboxConfigError(reply.message) : new Error(reply.message),
        );
      else reject(new Error(`synthesizing the stack failed (exit ${code}):\n${stderr.trim()}`));
    });
  });
  return {
    result,
    cancel: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
