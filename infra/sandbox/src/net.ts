import type { Server } from "node:http";
import { connect, createServer as createNetServer } from "node:net";

/** The sandbox binds loopback only: nothing it serves is meant to leave this machine. */
export const LOOPBACK = "127.0.0.1";

/** Asks the OS for a port nobody uses right now (there is a small race until the caller binds it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on the port. */
export function isPortInUse(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Listens on 127.0.0.1 (port 0 = any free port), or on `host` (`0.0.0.0` for --network), and
 * resolves with the port actually bound.
 */
export function listen(server: Server, port: number, host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`${host}:${port} is already in use: choose another port (0 = any free one)`)
          : error,
      );
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Closes a server and every connection still open on it (keep-alive and hung requests included). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
