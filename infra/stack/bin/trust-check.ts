// pnpm trust:check [--claims FILE] [--json]
// Without --claims: the built-in matrix as a table; exits 1 when a decision contradicts the
// configuration. With --claims FILE: decides each claim object of FILE (a JSON array).

import { parseCommandArgs, printWarnings, runCli } from "../src/cli";
import { loadInfraConfig } from "../src/config";
import { roleLogicalId } from "../src/keyless-stack";
import { synthesizeKeylessTemplate } from "../src/synth";
import { decideClaimsList, formatTrustMatrix, runTrustMatrix } from "../src/trust/check";
import { readClaimsFile } from "../src/trust/claims-file";

const USAGE = `usage: pnpm trust:check [--claims FILE] [--json]

Without --claims: the built-in matrix of Vercel-shaped claim sets against the roles of the stack
as synthesized from the current configuration; exit 1 when a decision contradicts it.
--claims FILE  decide each claim object of FILE (a JSON array) instead
--json         print JSON: the matrix rows, or one { allowed, role, reason } per claim object`;

runCli(() => {
  const { values, help } = parseCommandArgs(process.argv.slice(2), {
    usage: USAGE,
    options: { claims: { type: "string" }, json: { type: "boolean" } },
  });
  if (help) {
    console.log(USAGE);
    return 0;
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
