// The CDK app (`cdk synth|deploy|diff|destroy` run this through cdk.json).

import { loadInfraConfig } from "../src/config";
import { createKeylessAppFromConfig } from "../src/stack/synth";
import { printWarnings, runCli } from "./run-cli";

runCli(() => {
  const config = loadInfraConfig();
  printWarnings(config.warnings);
  // outdir comes from CDK_OUTDIR, which the CDK CLI sets.
  createKeylessAppFromConfig(config).app.synth();
  return 0;
});
