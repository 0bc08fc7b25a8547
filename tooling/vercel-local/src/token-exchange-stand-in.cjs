// TESTS ONLY: answers Vercel's token-exchange URL with a local stand-in. @vercel/oidc posts every
// custom-audience exchange to the fixed https://oidc.vercel.com/~token (no variable moves it), so
// an offline test can only reach a stand-in by intercepting that one URL in the function's own
// process. Installed by function-runtime.cjs before the launcher loads (so Next's fetch patch
// wraps this one) and only when the harness is served with `tokenExchangeStandIn`; in a build with
// that option, through NODE_OPTIONS=--require and STAND_IN_VARIABLE, so the build's preflight
// exchanges too. Every other request goes to the real fetch untouched. Node built-ins only.
"use strict";

const VERCEL_TOKEN_EXCHANGE = "https://oidc.vercel.com/~token";

function requestUrl(input) {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return input?.url;
}

/** Sends POSTs to Vercel's token exchange to `target` (e.g. the sandbox issuer's /~token). */
function installTokenExchangeStandIn(target) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async function fetchWithStandIn(input, init) {
    if (requestUrl(input) !== VERCEL_TOKEN_EXCHANGE) return realFetch(input, init);
    const request = new Request(input, init);
    return realFetch(target, {
      method: request.method,
      headers: request.headers,
      body: await request.text(),
    });
  };
}

const STAND_IN_VARIABLE = "VERCEL_LOCAL_TOKEN_EXCHANGE_STAND_IN";
if (process.env[STAND_IN_VARIABLE]) installTokenExchangeStandIn(process.env[STAND_IN_VARIABLE]);

module.exports = { installTokenExchangeStandIn, STAND_IN_VARIABLE, VERCEL_TOKEN_EXCHANGE };
