// pnpm configure — see src/setup/setup-command.ts (`pnpm configure --help`).

import { runCli } from "@repo/infra/cli";
import { runSetup } from "../src/setup/setup-command";

runCli(() =>
  runSetup({
    argv: process.argv.slice(2),
    environment: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  }),
);
