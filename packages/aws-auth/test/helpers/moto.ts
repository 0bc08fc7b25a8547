import { type ChildProcess, spawn } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts moto's server (a real AWS emulator) on a free loopback port. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  let child: ChildProcess;
  let output = "";
  child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `moto exited (${child.exitCode}). Install it with: pipx install "moto[server]"\n${output}`,
      );
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok || res.status < 500) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (Date.now() >= deadline) throw new Error(`moto did not start on ${endpoint}:\n${output}`);
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export interface CountingProxy {
  endpoint: string;
  /** AssumeRoleWithWebIdentity requests that reached this proxy. */
  exchanges(): number;
  /** The `sub` of the last token exchanged (decoded here; the token is not kept). */
  lastSubject(): string | undefined;
  /** Makes the next n STS exchanges fail with HTTP 503 (a server-side fault). */
  failNext(n: number): void;
  stop(): Promise<void>;
}

/** A pass-through proxy in front of moto that counts STS exchanges: a server we control. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  let count = 0;
  let failures = 0;
  let lastSubject: string | undefined;
  const targetUrl = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (body.includes("Action=AssumeRoleWithWebIdentity")) {
        count += 1;
        const token = new URLSearchParams(body.toString()).get("WebIdentityToken") ?? "";
        try {
          const payload = JSON.parse(
            Buffer.from(token.split(".")[1] ?? "", "base64url").toString(),
          );
          lastSubject = payload.sub;
        } catch {
          lastSubject = undefined;
        }
        if (failures > 0) {
          failures -= 1;
          res.writeHead(503, { "content-type": "text/xml" });
          res.end(
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service unavailable</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>',
          );
          return;
        }
      }
      const upstream = httpRequest(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exchanges: () => count,
    lastSubject: () => lastSubject,
    failNext: (n) => {
      failures = n;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/**
 * Vitest's global setup (vitest.config.ts): one moto for the whole run, since starting it is the
 * slow part; each test file names its own resources in it.
 */
export async function setup(project: { provide(key: "motoEndpoint", value: string): void }) {
  const moto = await startMoto();
  project.provide("motoEndpoint", moto.endpoint);
  return moto.stop;
}
