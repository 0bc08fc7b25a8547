// Serves a `.vercel/output` folder as Vercel's edge would: routes and headers from config.json,
// files from static/ (with config.json's `overrides`), prerender fallbacks, and functions through
// the FunctionHost, each request carrying the headers Vercel adds — x-vercel-oidc-token above all.
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, relative } from "node:path";
import type { Route } from "@vercel/routing-utils";
import type { FunctionHost } from "./function-host";
import { indexOutput, type OutputFunction, type OutputIndex } from "./functions";
import { Router } from "./router";

interface StaticFile {
  file: string;
  contentType?: string;
}

// The types this app's static output holds; anything else goes out as bytes. (A lookup table is
// all Vercel does here too; no dependency is worth it for a dozen entries.)
const CONTENT_TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".ico": "image/x-icon",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".rsc": "text/x-component",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

async function indexStatic(
  staticDir: string,
  overrides: Record<string, { path?: string; contentType?: string }>,
) {
  const files = new Map<string, StaticFile>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir).catch(() => [])) {
      const path = join(dir, entry);
      if ((await stat(path)).isDirectory()) {
        await walk(path);
        continue;
      }
      const rel = relative(staticDir, path);
      const override = overrides[rel];
      files.set(`/${override?.path ?? rel}`, { file: path, contentType: override?.contentType });
    }
  };
  await walk(staticDir);
  return files;
}

/** `/` is `index` in the output's file names. */
const outputPath = (path: string) => (path === "/" ? "/index" : path.replace(/\/$/, ""));

export interface DeploymentServerOptions {
  outputDir: string;
  host: FunctionHost;
  /** The headers Vercel adds to every request a function sees (a fresh OIDC token each time). */
  requestHeaders(): Promise<Record<string, string>>;
  /**
   * Functions that get no x-vercel-oidc-token (what Vercel does for proxy/middleware and Edge is
   * undocumented; the tests serve both possibilities). Default: every function gets it.
   */
  withholdOidcHeader?: (functionName: string) => boolean;
  port: number;
  /** Every interface instead of loopback (`pnpm vercel:local --network`). */
  network?: boolean;
  log(line: string): void;
}

export interface DeploymentServer {
  url: string;
  port: number;
  index: OutputIndex;
  close(): Promise<void>;
}

export async function serveDeployment(options: DeploymentServerOptions): Promise<DeploymentServer> {
  const config = JSON.parse(await readFile(join(options.outputDir, "config.json"), "utf8")) as {
    routes?: Route[];
    overrides?: Record<string, { path?: string; contentType?: string }>;
  };
  const statics = await indexStatic(join(options.outputDir, "static"), config.overrides ?? {});
  const index = await indexOutput(options.outputDir);
  await options.host.prepare(index.functions.values());
  const exists = (path: string) => {
    const key = outputPath(path);
    return statics.has(path) || index.prerenders.has(key) || index.functions.has(key);
  };
  const router = new Router(config.routes ?? [], exists);

  /** The request as a function receives it: the client's headers, then Vercel's own. */
  async function functionHeaders(
    request: IncomingMessage,
    matchedPath: string,
    fn: OutputFunction,
  ) {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      // Vercel owns the x-vercel-* request headers: a client cannot send its own token.
      if (value !== undefined && !name.startsWith("x-vercel-")) headers[name] = value;
    }
    Object.assign(headers, await options.requestHeaders());
    headers["x-matched-path"] = matchedPath;
    if (options.withholdOidcHeader?.(fn.name)) delete headers["x-vercel-oidc-token"];
    return headers;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const routing = {
      method: request.method ?? "GET",
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: request.headers,
      host: request.headers.host ?? "",
    };
    let result = router.resolve(routing);
    const middleware = result.middleware && index.functions.get(result.middleware);
    if (middleware) {
      const answer = await options.host.call(
        middleware,
        request,
        `${url.pathname}${url.search}`,
        await functionHeaders(request, url.pathname, middleware),
      );
      if (answer.headers["x-middleware-next"] === undefined) {
        response.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(response);
        return;
      }
      answer.resume();
      result = router.resolve({ ...routing, middlewareDone: true });
    }
    const status = result.status;
    if (status && status >= 300 && status < 400 && result.headers.location) {
      response.writeHead(status, result.headers);
      response.end();
      return;
    }
    const key = outputPath(result.path);
    const file = statics.get(result.path);
    const prerender = index.prerenders.get(key);
    if (file || prerender?.file) {
      const path = file?.file ?? prerender?.file ?? "";
      const type =
        file?.contentType ??
        CONTENT_TYPES[extname(prerender?.file ?? path)] ??
        "application/octet-stream";
      response.writeHead(status ?? prerender?.status ?? 200, {
        "content-type": type,
        ...prerender?.headers,
        ...result.headers,
      });
      if (request.method === "HEAD") response.end();
      else createReadStream(path).pipe(response);
      return;
    }
    const fn = index.functions.get(key);
    if (fn) {
      const headers = await functionHeaders(
        request,
        result.headers["x-matched-path"] ?? result.path,
        fn,
      );
      const query = result.query.toString();
      // Routing headers (CSP and the other security headers) go onto the function's answer.
      const write = response.writeHead.bind(response);
      response.writeHead = ((code: number, ...rest: unknown[]) => {
        for (const [name, value] of Object.entries(result.headers)) {
          if (name !== "x-matched-path" && !response.hasHeader(name))
            response.setHeader(name, value);
        }
        return (write as (...args: unknown[]) => ServerResponse)(code, ...rest);
      }) as typeof response.writeHead;
      await options.host.invoke(
        fn,
        request,
        response,
        `${url.pathname}${query ? `?${query}` : ""}`,
        headers,
      );
      return;
    }
    response.writeHead(status ?? 404, { "content-type": "text/plain; charset=utf-8" });
    response.end("404: NOT_FOUND\nCode: NOT_FOUND\n");
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log(`router error: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.network ? "0.0.0.0" : "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : options.port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    index,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
