// The CDK app (`cdk synth|deploy|diff|destroy` run this through cdk.json).

import { accountConfigs, TARGET_ACCOUNT_VARIABLE } from "../src/accounts";
import { CommandFailure, printWarnings, runCli } from "../src/cli";
import { loadInfraConfig } from "../src/config";
import { createKeylessAppFromConfig } from "../src/synth";

runCli(() => {
  const config = loadInfraConfig();
  printWarnings(config.warnings);
  // With KEYLESS_ACCOUNTS, `pnpm infra:*` runs the CDK CLI once per account and names it here.
  const target = process.env[TARGET_ACCOUNT_VARIABLE];
  const accountConfig = config.accounts
    ? accountConfigs(config).find((scoped) => scoped.account === target)
    : config;
  if (!accountConfig) {
    throw new CommandFailure(
      `KEYLESS_ACCOUNTS (narrowed by KEYLESS_ONLY_ACCOUNT when set) names ${config.accounts?.map((a) => a.account).join(", ")}: run the CDK through pnpm infra:synth|deploy|diff|destroy (one run per account), or set ${TARGET_ACCOUNT_VARIABLE} to one of them.`,
    );
  }
  // outdir comes from CDK_OUTDIR, which the CDK CLI sets.
  createKeylessAppFromConfig(accountConfig).app.synth();
  return 0;
});
