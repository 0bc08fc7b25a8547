// The CDK app (`cdk synth|deploy|diff|destroy` run this through cdk.json).

import { printWarnings, runCli } from "../src/cli";
import { loadInfraConfig } from "../src/config";
import { createKeylessAppFromConfig } from "../src/synth";

runCli(() => {
  const config = loadInfraConfig();
  printWarnings(config.warnings);
  // outdir comes from CDK_OUTDIR, which the CDK CLI sets.
  createKeylessAppFromConfig(config).app.synth();
  return 0;
});
