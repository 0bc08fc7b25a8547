// pnpm run setup — see src/setup/setup-command.ts (`pnpm run setup --help`).

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
