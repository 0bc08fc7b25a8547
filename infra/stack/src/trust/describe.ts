// The trust a deploy creates, and what each role may then do, in words, printed before `cdk
// deploy` asks for confirmation. The permissions are read from the synthesized template, so the
// text cannot drift from the policy that is deployed.

import type { InfraConfig } from "../config";
import type { CfnTemplate } from "../synth";

type Expression = unknown;

/** A resource expression as a person reads it: `<AppBucket…>/production/*`. */
function render(value: Expression): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(render).join(", ");
  if (value && typeof value === "object") {
    const [fn, args] = Object.entries(value)[0] ?? [];
    if (fn === "Ref") return `<${String(args)}>`;
    if (fn === "Fn::GetAtt" && Array.isArray(args)) return `<${String(args[0])}>`;
    if (fn === "Fn::Join" && Array.isArray(args)) {
      const [separator, parts] = args as [string, Expression[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: Expression;
  Condition?: Record<string, Record<string, unknown>>;
}

/** One line per statement of the policies attached to `roleLogicalId`, as the template has them. */
export function describeRolePermissions(template: CfnTemplate, roleLogicalId: string): string[] {
  const lines: string[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy") continue;
    const properties = resource.Properties as {
      Roles?: { Ref?: string }[];
      PolicyDocument?: { Statement?: Statement[] };
    };
    if (!properties.Roles?.some((role) => role.Ref === roleLogicalId)) continue;
    for (const statement of properties.PolicyDocument?.Statement ?? []) {
      const actions = [statement.Action ?? []].flat().join(", ");
      const conditions = Object.values(statement.Condition ?? {})
        .flatMap((byKey) => Object.entries(byKey))
        .map(([key, value]) => `${key} ${[value].flat().join(" or ")}`);
      lines.push(
        `${statement.Effect === "Deny" ? "denied " : ""}${actions} on ${render(statement.Resource)}${conditions.length ? ` where ${conditions.join(" and ")}` : ""}`,
      );
    }
  }
  return lines;
}

/** The longest session a role grants, from its MaxSessionDuration (IAM's default: 1 hour). */
function sessionLimit(template: CfnTemplate, roleLogicalId: string): string {
  const seconds = Number(
    (template.Resources[roleLogicalId]?.Properties as { MaxSessionDuration?: number } | undefined)
      ?.MaxSessionDuration ?? 3600,
  );
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds / 60} min`;
}

export function describeTrust(
  config: InfraConfig,
  template: CfnTemplate,
  roleLogicalId: (environment: InfraConfig["environments"][number]) => string,
): string {
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
    ...(config.github
      ? [
          `  - GitHub Actions deploy role: ${config.github.existingProviderArn ? `existing provider ${config.github.existingProviderArn}` : "a new provider for https://token.actions.githubusercontent.com"}`,
          "      token.actions.githubusercontent.com:aud = sts.amazonaws.com",
          `      token.actions.githubusercontent.com:sub = ${config.github.subject}`,
        ]
      : []),
    "Only tokens whose sub and aud match exactly (case-sensitive) can assume a role.",
    "What each role may do (its policies in the synthesized template):",
    ...config.environments.flatMap((environment) => {
      const id = roleLogicalId(environment);
      const permissions = describeRolePermissions(template, id);
      return [
        `  - ${environment} role (${id}, sessions up to ${sessionLimit(template, id)}):`,
        ...(permissions.length ? permissions : ["nothing"]).map((line) => `      ${line}`),
      ];
    }),
  ].join("\n");
}
