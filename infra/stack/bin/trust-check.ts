// pnpm trust:check [--claims FILE] [--template FILE] [--json]
// Without --claims: the built-in matrix as a table, then who may do what with each app resource
// (app-resources.ts); exits 1 when a decision contradicts the configuration. With --claims FILE: decides each claim object of FILE (a JSON array), against
// this repo's stack or, with --template, against a template another CDK app synthesized.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommandArgs, printWarnings, runCli, usageError } from "../src/cli";
import { loadInfraConfig } from "../src/config";
import type { CfnTemplate } from "../src/synth";
import { appResourceRows, formatAppResourceRows } from "../src/trust/app-resources";
import {
  type ClaimsDecision,
  decideClaimsAgainstTemplate,
  decideClaimsList,
  formatTrustMatrix,
  runTrustMatrix,
  trustAccount,
} from "../src/trust/check";
import { readClaimsFile } from "../src/trust/claims-file";

const USAGE = `usage: pnpm trust:check [--claims FILE] [--template FILE] [--json]

Without --claims: the built-in matrix of Vercel-shaped claim sets against the roles of the stack
as synthesized from the current configuration; exit 1 when a decision contradicts it.
--claims FILE    decide each claim object of FILE (a JSON array) instead
--template FILE  with --claims: decide against the web-identity roles of FILE, a template another
                 CDK app synthesized (e.g. cdk.out/MyStack.template.json), not this repo's stack
--json           print JSON: the matrix rows (then one row per role and app resource), or one
                 { allowed, role, reason } per claim object`;

/** Paths as the user typed them: pnpm runs this from the workspace, INIT_CWD is where they were. */
const userPath = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);

function readTemplate(path: string): CfnTemplate {
  let template: CfnTemplate;
  try {
    template = JSON.parse(readFileSync(path, "utf8")) as CfnTemplate;
  } catch (error) {
    throw usageError(`--template ${path}: ${(error as Error).message}`, USAGE);
  }
  if (typeof template?.Resources !== "object" || template.Resources === null) {
    throw usageError(`--template ${path} has no Resources: give a synthesized template`, USAGE);
  }
  return template;
}

runCli(async () => {
  const { values, help } = parseCommandArgs(process.argv.slice(2), {
    usage: USAGE,
    options: {
      claims: { type: "string" },
      template: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const claimsList =
    values.claims !== undefined ? readClaimsFile(userPath(values.claims)) : undefined;
  if (values.template !== undefined) {
    if (!claimsList) {
      throw usageError(
        "--template needs --claims FILE (the built-in matrix is made from this repo's .env)",
        USAGE,
      );
    }
    const decisions = decideClaimsAgainstTemplate(
      readTemplate(userPath(values.template)),
      claimsList,
    );
    printDecisions(decisions, values.json === true);
    return 0;
  }
  const config = loadInfraConfig();
  if (!values.json) printWarnings(config.warnings);
  // aws-cdk-lib loads only here: a usage, claims-file or configuration error answers at once.
  const [{ synthesizeKeylessTemplate }, { roleLogicalId }, { APP_RESOURCES }] = await Promise.all([
    import("../src/synth"),
    import("../src/keyless-stack"),
    import("../src/app-resources"),
  ]);
  const template = synthesizeKeylessTemplate(config);

  if (claimsList) {
    printDecisions(decideClaimsList(config, template, claimsList), values.json === true);
    return 0;
  }

  const rows = runTrustMatrix(config, template, roleLogicalId);
  const { account, partition } = trustAccount(config);
  const appRows = appResourceRows(
    template,
    APP_RESOURCES,
    { partition, account, region: config.region, stackName: config.stackName },
    config.environments,
  );
  const all = [...rows, ...appRows];
  const wrong = all.filter((row) => !row.ok).length;
  if (values.json) {
    console.log(JSON.stringify(all, null, 2));
  } else {
    console.log(
      `Trust of stack ${config.stackName}: issuer ${config.issuerUrl}, audience ${config.audience}\n`,
    );
    console.log(formatTrustMatrix(rows));
    if (appRows.length > 0) {
      console.log(
        "\nApp resources (infra/stack/src/app-resources.ts), each role within its boundary:\n",
      );
      console.log(formatAppResourceRows(appRows));
    }
    console.log(
      wrong === 0
        ? `\nAll ${all.length} decisions match the configuration.`
        : `\n${wrong} of ${all.length} decisions contradict the configuration (rows marked WRONG).`,
    );
  }
  return wrong === 0 ? 0 : 1;
});

function printDecisions(decisions: readonly ClaimsDecision[], json: boolean): void {
  if (json) console.log(JSON.stringify(decisions, null, 2));
  else {
    decisions.forEach((d, i) => {
      console.log(`${i}: ${d.allowed ? `allowed → ${d.role}` : "denied"} — ${d.reason}`);
    });
  }
}
