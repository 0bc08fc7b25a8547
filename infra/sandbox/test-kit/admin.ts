// The sandbox's admin API (JSON over HTTP, /_sandbox/* on the gateway and /mint on the issuer),
// typed, for tests that drive a sandbox running in another process (`pnpm sandbox`).

import { readFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import type { ActiveFault, FaultSpec, GatewayStats, MintOptions } from "../src/index";

/** What a running sandbox's state.json tells a client: where to reach it. */
export interface SandboxAddress {
  endpoint: string;
  issuerUrl: string;
  appEnvFile: string;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

export function sandboxAdmin(sandbox: SandboxAddress) {
  const admin = (path: string) => `${sandbox.endpoint}/_sandbox/${path}`;
  return {
    injectFault: (spec: FaultSpec) =>
      call<{ fault: ActiveFault }>(admin("faults"), json("POST", spec)),
    clearFaults: () => call<{ faults: ActiveFault[] }>(admin("faults"), json("DELETE")),
    stats: () => call<GatewayStats>(admin("stats")),
    resetStats: () => call<GatewayStats>(admin("stats/reset"), json("POST")),
    async mintToken(options: MintOptions = {}): Promise<string> {
      const body = await call<{ token: string }>(
        `${sandbox.issuerUrl}/mint`,
        json("POST", options),
      );
      return body.token;
    },
    /** The web app's environment as the sandbox wrote it (app.env). */
    async appEnv(): Promise<Record<string, string>> {
      return parseEnv(await readFile(sandbox.appEnvFile, "utf8")) as Record<string, string>;
    },
  };
}

export type SandboxAdmin = ReturnType<typeof sandboxAdmin>;
