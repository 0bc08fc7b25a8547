// pnpm run setup — see src/setup/setup-command.ts (`pnpm run setup --help`).

import { runSetup } from "../src/setup/setup-command";
import { runCli } from "./run-cli";

runCli(() =>
  runSetup({
    argv: process.argv.slice(2),
    environment: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  }),
);
