import { relative } from "node:path";
import pc from "picocolors";
import { SAMPLE_OBJECTS } from "./deploy";
import type { SandboxHandle } from "./index";
import { REPO_ROOT } from "./state";

/** What `pnpm sandbox` prints once ready: where everything is and how to see a refusal. */
export function formatSandboxSummary(sandbox: SandboxHandle, readyMs: number): string {
  // Paths as seen from the repo root, where `pnpm sandbox` is run.
  const path = (file: string) => {
    const fromRoot = relative(REPO_ROOT, file);
    return fromRoot.startsWith("..") ? file : fromRoot;
  };
  const row = (label: string, value: string, note = "") =>
    `  ${label.padEnd(14)}${value}${note ? pc.dim(`  ${note}`) : ""}`;
  const roles = Object.entries(sandbox.roleArns).map(([environment, arn]) =>
    row("Role", arn ?? "", `trusts ${environment} tokens`),
  );
  const appRole = sandbox.appEnv.AWS_ROLE_ARN ?? "";
  const endpoint = sandbox.endpoint;
  return [
    pc.green(`Keyless sandbox ready in ${(readyMs / 1000).toFixed(1)} s`) +
      pc.dim(" (since the process started)"),
    row(
      "AWS endpoint",
      endpoint,
      "STS, S3, DynamoDB, IAM, CloudFormation, CloudTrail (AWS_ENDPOINT_URL)",
    ),
    row("OIDC issuer", sandbox.tokenIssuer, `keys at ${sandbox.issuerUrl}/.well-known/jwks`),
    row("Audience", sandbox.audience),
    ...roles,
    row("Bucket", sandbox.bucket, `${SAMPLE_OBJECTS.length} sample objects`),
    row(
      "App env",
      path(sandbox.appEnvFile),
      [
        "AWS_REGION, AWS_ROLE_ARN, AWS_ENDPOINT_URL, S3_BUCKET, AWS_WEB_IDENTITY_TOKEN_FILE",
        // The app's own resources' variables (infra/stack/src/app-resources.ts).
        ...new Set(
          Object.values(sandbox.appVariables).flatMap((variables) => Object.keys(variables)),
        ),
      ].join(", "),
    ),
    row("Token file", path(sandbox.tokenFile), "a production token, rewritten before it expires"),
    row("Admin", `${endpoint}/_sandbox/stats`, "faults: POST /_sandbox/faults"),
    row(
      "Vercel API",
      sandbox.vercelApi.url,
      "a stand-in with your project: `pnpm vercel:env --sandbox`, `pnpm verify --sandbox --vercel`",
    ),
    "",
    "See a refusal (tokens print to stdout only):",
    `  pnpm sandbox token --environment preview   ${pc.dim("# AccessDenied: the production role trusts production only")}`,
    `  pnpm sandbox token --team other            ${pc.dim("# InvalidIdentityToken: no OpenIDConnect provider for that issuer")}`,
    `  pnpm sandbox token --expired               ${pc.dim("# ExpiredTokenException")}`,
    "  Use one with the AWS CLI:",
    `    aws sts assume-role-with-web-identity --endpoint-url ${endpoint} --region ${sandbox.region} \\`,
    `      --role-arn ${appRole} --role-session-name try \\`,
    `      --web-identity-token "$(pnpm sandbox token --environment preview)"`,
    `  or put it in ${path(sandbox.tokenFile)} and reload the app.`,
    "",
    pc.dim("Ctrl-C stops moto, the issuer and the gateway, and removes the state files."),
  ].join("\n");
}
