// The web tests run on the same moto launcher and free-port finder as the sandbox, like the e2e
// does: one implementation of "start moto, wait until it answers, stop it cleanly".

export { findFreePort as freePort } from "@repo/sandbox/net";
export { startMoto } from "@repo/sandbox/test-kit/moto";
