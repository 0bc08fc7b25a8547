import { fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { InfraConfig, InfraEnv } from "../config";
import type { VercelEnvironment } from "../stack/vercel-oidc";

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
  outputKeys: { roles: Partial<Record<VercelEnvironment, string>>; bucket: string };
}

/** The configuration is wrong: `message` lists every problem and the variable to fix. */
export class SandboxConfigError extends Error {
  override name = "SandboxConfigError";
}

export type SynthesisReply =
  | { ok: true; result: SynthesizedSandbox }
  | { ok: false; configError: boolean; message: string };

const CHILD = fileURLToPath(new URL("./synthesis-child.ts", import.meta.url));

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
