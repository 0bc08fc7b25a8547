// The TCP sockets a process tree listens on, read from the kernel (`ss -ltnp`) rather than by
// connecting: a test never reaches for a non-loopback address, never connects to itself, and a
// port another test took after ours was freed is not mistaken for ours.
import { execFileSync } from "node:child_process";

/** The process and every descendant still alive. */
function tree(root: number): Set<number> {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((row): row is [number, number] => row.length === 2 && !row.some(Number.isNaN));
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return found;
}

/** The local `address:port` of each socket the tree listens on. */
function listening(root: number): { address: string; port: number }[] {
  const pids = tree(root);
  const sockets: { address: string; port: number }[] = [];
  for (const line of execFileSync("ss", ["-ltnpH"], { encoding: "utf8" }).split("\n")) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const local = line.trim().split(/\s+/)[3] ?? "";
    const colon = local.lastIndexOf(":");
    sockets.push({ address: local.slice(0, colon), port: Number(local.slice(colon + 1)) });
  }
  return sockets;
}

/** Local addresses (`127.0.0.1`, `0.0.0.0`, `[::1]`, `*`) of the sockets the tree listens on. */
export function listeningAddresses(root: number): string[] {
  return listening(root).map((socket) => socket.address);
}

/** The ports the tree listens on. */
export function listeningPorts(root: number): number[] {
  return listening(root).map((socket) => socket.port);
}

export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\])$/;
