// pnpm github:oidc [--apply] [--immutable] — see src/setup/github-oidc.ts (`pnpm github:oidc --help`).

import { runCli } from "@repo/infra/cli";
import { runGithubOidc } from "../src/setup/github-oidc";

runCli(() =>
  runGithubOidc({
    argv: process.argv.slice(2),
    environment: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }),
);
