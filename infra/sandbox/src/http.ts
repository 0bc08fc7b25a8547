import type { IncomingMessage, ServerResponse } from "node:http";
import { networkInterfaces } from "node:os";

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const text = (await readBody(request)).toString("utf8");
  return text.trim() === "" ? {} : JSON.parse(text);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

/**
 * Admin routes (minting, faults) change the sandbox, so a web page open in the user's browser must
 * not reach them: browsers send `Origin` on cross-site POSTs and cannot send a JSON content type
 * without a CORS preflight, which these routes never approve. Returns false after answering 403.
 */
export function refuseBrowserRequests(request: IncomingMessage, response: ServerResponse): boolean {
  // Other methods than POST already need a preflight cross-site, so the missing Origin suffices.
  const jsonBody =
    request.method !== "POST" ||
    (request.headers["content-type"] ?? "").startsWith("application/json");
  if (request.headers.origin === undefined && jsonBody) return true;
  sendJson(response, 403, {
    error: "sandbox admin routes take JSON from local tools only (content-type: application/json)",
  });
  return false;
}

export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/**
 * Loopback servers answer only requests addressed to a loopback name (`127.0.0.1`, `localhost`,
 * `[::1]`, any port: a local proxy in front keeps its own): a page under another name that
 * resolves to 127.0.0.1 (DNS rebinding) carries that name in Host. Returns false after a 403.
 */
export function refuseForeignHost(
  request: IncomingMessage,
  response: ServerResponse,
  /** With `--network`: the machine's own addresses too (still no other name). */
  alsoAllowed: readonly string[] = [],
): boolean {
  const host = (request.headers.host ?? "").toLowerCase();
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  if (name === "127.0.0.1" || name === "localhost" || name === "[::1]") return true;
  if (name !== undefined && alsoAllowed.includes(name)) return true;
  sendJson(response, 403, {
    error: `this sandbox server answers only requests to 127.0.0.1, localhost or [::1]${alsoAllowed.length ? ` or ${alsoAllowed.join(", ")}` : ""} (Host was "${host}")`,
  });
  return false;
}

/** The machine's own IPv4 addresses on its network interfaces (what --network makes reachable). */
export function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && address.family === "IPv4")
    .map((address) => address?.address ?? "");
}
