import type { FaultSpec, GatewayStats } from "@repo/sandbox";
import type { RunningSandbox } from "./sandbox-process";

// The sandbox's own admin API (JSON over HTTP), so every test file can drive the one sandbox the
// suite runs.

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

export const injectFault = (sandbox: RunningSandbox, spec: FaultSpec) =>
  call(`${sandbox.endpoint}/_sandbox/faults`, json("POST", spec));

export const clearFaults = (sandbox: RunningSandbox) =>
  call(`${sandbox.endpoint}/_sandbox/faults`, json("DELETE"));

export const gatewayStats = (sandbox: RunningSandbox) =>
  call<GatewayStats>(`${sandbox.endpoint}/_sandbox/stats`);

export const resetGatewayStats = (sandbox: RunningSandbox) =>
  call(`${sandbox.endpoint}/_sandbox/stats/reset`, json("POST"));

export async function mintToken(
  sandbox: RunningSandbox,
  options: { environment?: string; lifetimeSeconds?: number; expired?: boolean } = {},
): Promise<string> {
  const body = await call<{ token: string }>(`${sandbox.issuerUrl}/mint`, json("POST", options));
  return body.token;
}

/** The web app's environment as the sandbox wrote it (app.env). */
export async function appEnv(sandbox: RunningSandbox): Promise<Record<string, string>> {
  const { readFile } = await import("node:fs/promises");
  const { parseEnv } = await import("node:util");
  return parseEnv(await readFile(sandbox.appEnvFile, "utf8")) as Record<string, string>;
}
