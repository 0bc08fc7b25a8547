// Where the app's local servers listen (`pnpm dev`, `pnpm --filter @repo/web serve`). Loopback by
// default: on a laptop the app runs with the developer's own credentials (a profile, the
// sandbox), and Next's default — every interface — would hand them to anyone on the same café or
// office network. `--network` opts in, and says what that exposes.
import { networkInterfaces } from "node:os";

export const NETWORK_FLAG = "--network";
const HOSTNAME_FLAGS = new Set(["-H", "--hostname"]);

export interface Listen {
  /** The arguments for `next dev` / `next start`, with the hostname set. */
  args: string[];
  /** True when the server answers on other interfaces than loopback. */
  network: boolean;
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || host.startsWith("127.");

/** The pure decision: the user's own --hostname wins; else loopback, or every interface with --network. */
export function listenArgs(args: readonly string[]): Listen {
  const network = args.includes(NETWORK_FLAG);
  const rest = args.filter((arg) => arg !== NETWORK_FLAG && arg !== "--");
  const at = rest.findIndex((arg) => HOSTNAME_FLAGS.has(arg) || arg.startsWith("--hostname="));
  if (at !== -1) {
    const given = rest[at]?.startsWith("--hostname=")
      ? rest[at]?.slice("--hostname=".length)
      : rest[at + 1];
    return { args: rest, network: !isLoopback(given ?? "") };
  }
  return { args: [...rest, "--hostname", network ? "0.0.0.0" : "127.0.0.1"], network };
}

/** The lines printed when the server is reachable from the network: where, and what it exposes. */
export function networkWarning(port: string | undefined): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && address.family === "IPv4")
    .map((address) => `http://${address?.address}:${port ?? "3000"}`);
  return [
    `${NETWORK_FLAG}: listening on every interface${addresses.length ? ` (${addresses.join(", ")})` : ""}.`,
    "Anyone who can reach this machine can open the app and act with its AWS credentials (your profile, or the sandbox's role): its S3 data, presigned downloads and uploads. Use it on networks you trust only.",
  ];
}

/** The port in next's arguments (`-p N`, `--port N`, `--port=N`), or undefined for its default. */
export function portOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? "";
    if (arg === "-p" || arg === "--port") return args[i + 1];
    if (arg.startsWith("--port=")) return arg.slice("--port=".length);
  }
  return undefined;
}
