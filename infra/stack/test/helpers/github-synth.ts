// The stack with the GitHub deploy role, synthesized from the sample configuration: the template
// the GitHub tests assert on, and the app and stack cdk-nag runs on. Each synth writes its cloud
// assembly under one temporary folder; `cleanup` removes it (call it in afterAll).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { loadInfraConfig } from "../../src/config";
import { createKeylessAppFromConfig } from "../../src/synth";
import { SAMPLE_CONFIG } from "./sample-config";

export const GITHUB_SAMPLE = { ...SAMPLE_CONFIG, KEYLESS_GITHUB_REPOSITORY: "acme/keyless" };

export function githubSynthesizer() {
  const outRoot = mkdtempSync(join(tmpdir(), "keyless-github-test-"));
  return {
    /** `env` over GITHUB_SAMPLE (KEYLESS_GITHUB_REPOSITORY: "" for the stack without the role). */
    synth(env: Record<string, string> = {}) {
      const { app, stack } = createKeylessAppFromConfig(
        loadInfraConfig({ ...GITHUB_SAMPLE, ...env }),
        mkdtempSync(join(outRoot, "out-")),
      );
      const artifact = app.synth().getStackByName(stack.stackName);
      // `raw` stays as the cloud assembly types it (any): tests index into it freely.
      return { app, stack, template: Template.fromJSON(artifact.template), raw: artifact.template };
    },
    cleanup: () => rmSync(outRoot, { recursive: true, force: true }),
  };
}
