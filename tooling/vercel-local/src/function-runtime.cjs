// One Vercel Node function, in a process of its own: loads the function's launcher (its
// `.vc-config.json` `handler`) from its materialized folder and serves it over HTTP on loopback
// for the router. Plain CommonJS with Node built-ins only: nothing of this workspace (no tsx, no
// packages) may leak into the function's module resolution.
//
// Written by hand because no published Vercel package does this for a Build Output API function:
// @vercel/fun runs Lambda-style (event, context) handlers through its own bootstrap, `vercel dev`
// runs `next dev`, and Vercel's own Node bridge is not published. What it reproduces, from
// the launcher's own code and Vercel's docs: the request context at
// globalThis[Symbol.for("@vercel/request-context")] (`get()` → { headers, waitUntil }), whose
// headers carry x-vercel-oidc-token, set per request through an AsyncLocalStorage.
"use strict";

const { AsyncLocalStorage } = require("node:async_hooks");
const { createServer } = require("node:http");
const { join } = require("node:path");
const { Readable } = require("node:stream");

const [functionDir, handlerPath, api, tokenExchangeStandIn] = process.argv.slice(2);
// `.vc-config.json` `useWebApi`: the launcher takes a Web Request and returns a Response (Next's
// proxy/middleware launcher), instead of Node's (req, res).
const useWebApi = api === "web";
const storage = new AsyncLocalStorage();
globalThis[Symbol.for("@vercel/request-context")] = { get: () => storage.getStore() };

// Tests only (`tokenExchangeStandIn`): Vercel's token-exchange URL answered locally, before the
// launcher loads. See token-exchange-stand-in.cjs.
if (tokenExchangeStandIn) {
  require("./token-exchange-stand-in.cjs").installTokenExchangeStandIn(tokenExchangeStandIn);
}

let handler;
try {
  handler = require(join(functionDir, handlerPath));
} catch (error) {
  // What Vercel logs when a function cannot initialise (e.g. a module missing from its trace).
  console.error(`Error: Runtime exited: could not load ${handlerPath}: ${error.message}`);
  process.send?.({ type: "failed", message: error.message });
  process.exit(1);
}
if (typeof handler !== "function" && typeof handler?.default === "function") {
  handler = handler.default;
}

async function serveWebApi(req, res) {
  const headers = [];
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.push([name, one]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const response = await handler(
    new Request(`http://${req.headers.host ?? "localhost"}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? Readable.toWeb(req) : undefined,
      duplex: "half",
    }),
  );
  const out = {};
  response.headers.forEach((value, name) => {
    out[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
  });
  res.writeHead(response.status, out);
  if (response.body) Readable.fromWeb(response.body).pipe(res);
  else res.end();
}

const server = createServer((req, res) => {
  const pending = [];
  const context = {
    headers: req.headers,
    url: req.url,
    waitUntil: (promise) => pending.push(Promise.resolve(promise).catch(() => {})),
  };
  storage.run(context, async () => {
    try {
      if (useWebApi) await serveWebApi(req, res);
      else await handler(req, res);
    } catch (error) {
      console.error(error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("FUNCTION_INVOCATION_FAILED");
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "ready", port: server.address().port });
});
// The parent going away (Ctrl-C, a crash) ends the function too: no orphans.
process.on("disconnect", () => process.exit(0));
