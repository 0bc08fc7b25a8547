import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { sendJson } from "../http";
import { LOOPBACK } from "../net";
import { type SignedForward, signForUpstream } from "../sigv4";
import type { GatewayContext } from "./context";

/** The gateway's own connection to moto: calls streamed through, and STS calls it makes. */

function upstreamHeaders(request: IncomingMessage) {
  const headers = { ...request.headers };
  // We write the body in one go; moto need not ask for it.
  delete headers.expect;
  return headers;
}

export function proxy(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  body?: Buffer,
  signed?: SignedForward,
): void {
  context.stats.passedThrough++;
  const headers = signed?.headers ?? upstreamHeaders(request);
  if (body) headers["content-length"] = String(body.length);
  const upstream = httpRequest(
    {
      host: LOOPBACK,
      port: context.options.motoPort,
      method: request.method,
      path: signed?.path ?? request.url,
      headers,
      agent: context.upstreamAgent,
    },
    (upstreamResponse) => {
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    if (response.headersSent) response.destroy();
    else sendJson(response, 502, { error: `moto is unreachable: ${error.message}` });
  });
  response.on("close", () => {
    if (!response.writableFinished) upstream.destroy();
  });
  if (body) upstream.end(body);
  else request.pipe(upstream);
}

export async function forward(
  context: GatewayContext,
  request: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { admin, motoHost } = context;
  const { region } = context.options;
  // The SDK sends this call unsigned, which moto cannot take with enforcement on: once the
  // token and trust are checked (./sts), the gateway signs it with the sandbox's admin key.
  const signedHeaders = admin
    ? (
        await signForUpstream(
          {
            url: "/",
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
          },
          admin,
          { region, service: "sts" },
          motoHost,
          body,
        )
      ).headers
    : undefined;
  return new Promise((resolve, reject) => {
    const headers = signedHeaders ?? upstreamHeaders(request);
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers["content-length"] = String(body.length);
    const upstream = httpRequest(
      {
        host: LOOPBACK,
        port: context.options.motoPort,
        method: "POST",
        path: "/",
        headers,
        agent: context.upstreamAgent,
      },
      (upstreamResponse) => {
        const chunks: Buffer[] = [];
        upstreamResponse.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstreamResponse.on("end", () =>
          resolve({
            status: upstreamResponse.statusCode ?? 502,
            headers: { "content-type": upstreamResponse.headers["content-type"] ?? "text/xml" },
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        upstreamResponse.on("error", reject);
      },
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}
