// `cdk deploy` without `cdk bootstrap`: the seed promises a one-time command. The default
// synthesizer (and BootstraplessSynthesizer, which still names the bootstrap deploy and
// CloudFormation execution roles) needs bootstrap resources; CliCredentialsStackSynthesizer uploads
// the template to the bootstrap bucket. LegacyStackSynthesizer deploys with the CLI's own
// credentials and passes the template inline — enough for a stack with no assets under 50 KiB.
// Adding an asset (a Lambda's code, say) would silently need bootstrap again, so refuse it.

import {
  type DockerImageAssetLocation,
  type FileAssetLocation,
  LegacyStackSynthesizer,
} from "aws-cdk-lib";

const NO_ASSETS =
  "This stack deploys without `cdk bootstrap`, so it cannot hold assets (Lambda code, Docker images, files). Use DefaultStackSynthesizer and bootstrap the account to add them.";

export class NoBootstrapSynthesizer extends LegacyStackSynthesizer {
  override addFileAsset(): FileAssetLocation {
    throw new Error(NO_ASSETS);
  }

  override addDockerImageAsset(): DockerImageAssetLocation {
    throw new Error(NO_ASSETS);
  }
}
