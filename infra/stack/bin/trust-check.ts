// pnpm trust:check [--claims FILE] [--json]
// Without --claims: the built-in matrix as a table; exits 1 when a decision contradicts the
// configuration. With --claims FILE: decides each claim object of FILE (a JSON array).

import { parseArgs } from "node:util";
import { printWarnings, runCli, UsageError } from "../src/cli";
import { loadInfraConfig } from "../src/config";
import { roleLogicalId } from "../src/keyless-stack";
import { synthesizeKeylessTemplate } from "../src/synth";
import { decideClaimsList, formatTrustMatrix, runTrustMatrix } from "../src/trust/check";
import { readClaimsFile } from "../src/trust/claims-file";

const USAGE = "usage: pnpm trust:check [--claims FILE] [--json]";

runCli(() => {
  let values: { claims?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      options: { claims: { type: "string" }, json: { type: "boolean" } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const claimsList = values.claims !== undefined ? readClaimsFile(values.claims) : undefined;
  const config = loadInfraConfig();
  if (!values.json) printWarnings(config.warnings);
  const template = synthesizeKeylessTemplate(config);

  if (claimsList) {
    const decisions = decideClaimsList(config, template, claimsList);
    if (values.json) console.log(JSON.stringify(decisions, null, 2));
    else {
      decisions.forEach((d, i) => {
        console.log(`${i}: ${d.allowed ? `allowed → ${d.role}` : "denied"} — ${d.reason}`);
      });
    }
    return 0;
  }

  const rows = runTrustMatrix(config, template, roleLogicalId);
  const wrong = rows.filter((row) => !row.ok).length;
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    console.log(
      `Trust of stack ${config.stackName}: issuer ${config.issuerUrl}, audience ${config.audience}\n`,
    );
    console.log(formatTrustMatrix(rows));
    console.log(
      wrong === 0
        ? `\nAll ${rows.length} decisions match the configuration.`
        : `\n${wrong} of ${rows.length} decisions contradict the configuration (rows marked WRONG).`,
    );
  }
  return wrong === 0 ? 0 : 1;
});
