// One Vercel Edge function (`.vc-config.json` `runtime: "edge"`), in a process of its own: its
// `entrypoint` evaluated inside the `edge-runtime` package's VM (Vercel's published Edge Runtime:
// Web APIs only, no Node built-ins), served over HTTP on loopback for the router, with the same
// ready/failed messages as function-runtime.cjs.
//
// What `vercel dev` does for Edge functions, written again here (its edge handler is not a
// published API): the entrypoint is an ES module whose default export is the handler
// `(request, { waitUntil })`; the VM runs scripts, so that one `export default` becomes an
// assignment. The request context at globalThis[Symbol.for("@vercel/request-context")] carries
// `{ headers, waitUntil }` as for Node functions; `require` serves only the Node modules Vercel's Edge
// runtime has. Whether Vercel's Edge network passes the
// x-vercel-oidc-token header there is not documented; Keyless refuses the Edge runtime either way.
"use strict";

const { readFileSync } = require("node:fs");
const { createServer } = require("node:http");
const { join } = require("node:path");
const { EdgeRuntime } = require("edge-runtime");
const { createHandler } = require("edge-runtime/dist/server");

const [functionDir, entrypoint, envJson] = process.argv.slice(2);

// The Node.js modules Vercel's Edge runtime offers (its docs list AsyncLocalStorage, Buffer,
// EventEmitter, assert and util); Next's Edge bundles require the first two. Anything else is
// refused, as there.
const EDGE_NODE_MODULES = new Set(["async_hooks", "buffer", "events", "assert", "util"]);
function edgeRequire(name) {
  const bare = name.replace(/^node:/, "");
  if (!EDGE_NODE_MODULES.has(bare)) {
    throw new Error(`The Edge runtime does not support Node.js '${bare}' module.`);
  }
  return require(`node:${bare}`);
}
const HANDLER = "__vercelLocalEdgeHandler";

function scriptFrom(source) {
  const exports = source.match(/^\s*export default /gm) ?? [];
  if (exports.length !== 1) {
    throw new Error(`expected one \`export default\` in ${entrypoint}, found ${exports.length}`);
  }
  return `${source.replace(/^\s*export default /m, `globalThis.${HANDLER} = `)}
addEventListener("fetch", (event) => {
  event.respondWith(globalThis.${HANDLER}(event.request, { waitUntil: (p) => event.waitUntil(p) }));
});`;
}

let runtime;
try {
  const env = JSON.parse(envJson);
  runtime = new EdgeRuntime({
    initialCode: scriptFrom(readFileSync(join(functionDir, entrypoint), "utf8")),
    extend: (context) =>
      Object.assign(context, {
        process: { env },
        require: edgeRequire,
        // A global on Vercel's Edge runtime; Next's Edge bundles expect it.
        AsyncLocalStorage: require("node:async_hooks").AsyncLocalStorage,
      }),
  });
} catch (error) {
  console.error(`Error: Edge function could not start: ${error.message}`);
  process.send?.({ type: "failed", message: error.message });
  process.exit(1);
}

let current;
runtime.context[Symbol.for("@vercel/request-context")] = { get: () => current };
const { handler } = createHandler({ runtime });

const server = createServer((req, res) => {
  current = { headers: req.headers, url: req.url, waitUntil: () => {} };
  handler(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("EDGE_FUNCTION_INVOCATION_FAILED");
  });
});
server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "ready", port: server.address().port });
});
process.on("disconnect", () => process.exit(0));
