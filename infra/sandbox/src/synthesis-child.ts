// Runs in the child process started by synthesizeInChild(): configuration + `cdk synth`, in-process,
// answered over IPC. Never imported by the sandbox process itself.

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { InfraConfigError, type InfraEnv, readInfraEnv } from "@repo/infra/config";
import { environmentSuffix } from "@repo/infra/keyless-stack";
import { synthesizeKeylessTemplate } from "@repo/infra/synth";
import { sandboxInfraConfig } from "./sandbox-config";
import type { SynthesisReply, SynthesizedSandbox } from "./synthesis";

async function synthesize(env: InfraEnv, workDir: string): Promise<SynthesizedSandbox> {
  const config = sandboxInfraConfig(env);
  // A folder of its own: two syntheses in one workDir (one per account, same stack name) would
  // read each other's template back from a shared cdk.out, and cache it under the wrong key.
  await mkdir(workDir, { recursive: true });
  const outdir = await mkdtemp(join(workDir, "cdk.out-"));
  try {
    const template = synthesizeKeylessTemplate(config, outdir);
    const roles = Object.fromEntries(
      config.environments.map((environment) => [
        environment,
        `RoleArn${environmentSuffix(environment)}`,
      ]),
    );
    const githubDeployRole = config.github ? "GithubDeployRoleArn" : undefined;
    return { config, template, outputKeys: { roles, bucket: "BucketName", githubDeployRole } };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

// The parent stopped needing this child (Ctrl-C during start-up, it exited, or it let an idle child
// go): no one waits for a template any more.
process.once("disconnect", () => process.exit(0));

// One synthesis per message, answered in order; the parent may keep this process for the next one
// (aws-cdk-lib is loaded and warm: a second synthesis takes a tenth of the first).
process.on("message", (message: { env: InfraEnv | null; workDir: string }) => {
  const reply = (answer: SynthesisReply) => process.send?.(answer);
  synthesize(message.env ?? readInfraEnv(), message.workDir).then(
    (result) => reply({ ok: true, result }),
    (error: unknown) =>
      reply({
        ok: false,
        configError: error instanceof InfraConfigError,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
