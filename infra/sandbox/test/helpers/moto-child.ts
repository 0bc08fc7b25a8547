// Test fixture (run as a child process by sandbox.test.ts): starts moto the way the sandbox does,
// prints its pid and port, and waits to be killed.

import { startMoto } from "../../src/moto";

const moto = await startMoto();
process.stdout.write(`${JSON.stringify({ pid: moto.pid, port: moto.port })}\n`);
setInterval(() => {}, 60_000);
