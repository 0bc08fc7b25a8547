// pnpm --filter @repo/web serve [-- next start options] [--network]
// `next start` for a local production build, on loopback unless --network (see listen.ts).
import { runCli } from "@repo/infra/cli";
import { runNext } from "./next-process";

runCli(() => runNext("start", process.argv.slice(2), process.env));
