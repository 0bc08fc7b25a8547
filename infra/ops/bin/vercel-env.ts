// pnpm vercel:env [--apply] — see src/setup/vercel-env-command.ts (`pnpm vercel:env --help`).

import { runCli } from "@repo/infra/cli";
import { runVercelEnv } from "../src/setup/vercel-env-command";

runCli(() =>
  runVercelEnv({
    argv: process.argv.slice(2),
    environment: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }),
);
