// Loaded with `node --import` in the local-refresh test: the one change to the process is where
// requests for Vercel's API go. @vercel/oidc calls https://api.vercel.com with the global fetch;
// this sends those calls to VERCEL_API_STAND_IN (the test's fake Vercel API) and every other
// request where it was going. Nothing in @vercel/oidc or @repo/aws-auth is replaced.
const standIn = process.env.VERCEL_API_STAND_IN;
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (standIn && url.origin === "https://api.vercel.com") {
    const redirected = new URL(`${url.pathname}${url.search}`, standIn);
    return realFetch(redirected, input instanceof Request ? new Request(redirected, input) : init);
  }
  return realFetch(input, init);
};
