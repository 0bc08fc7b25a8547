// The trust a deploy creates, in words, printed before `cdk deploy` asks for confirmation.

import type { InfraConfig } from "../config";

export function describeTrust(config: InfraConfig): string {
  const provider = config.existingProviderArn
    ? `existing OIDC provider ${config.existingProviderArn}`
    : `a new OIDC provider for ${config.issuerUrl} (client id ${config.audience})`;
  const roles = config.environments.map(
    (environment) =>
      `  - ${environment} role: ${config.issuerHostPath}:aud = ${config.audience}\n` +
      `    ${" ".repeat(environment.length + 7)}${config.issuerHostPath}:sub = ${config.subjects[environment]}`,
  );
  return [
    `Stack ${config.stackName} in ${config.region} will trust Vercel tokens through ${provider}:`,
    `  issuer:   ${config.issuerUrl} (${config.issuerMode} mode)`,
    config.audience === config.teamAudience
      ? `  audience: ${config.audience}`
      : `  audience: ${config.audience} (custom: the app exchanges its token for it; team-audience tokens are refused)`,
    ...roles,
    "Each role may list one bucket and get/put/delete its objects; sessions last at most 1 hour.",
    "Only tokens whose sub and aud match exactly (case-sensitive) can assume a role.",
  ].join("\n");
}
