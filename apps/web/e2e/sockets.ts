// The TCP addresses a process tree listens on, read from the kernel (`ss -ltnp`) rather than by
// connecting: a test never reaches for a non-loopback address.
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

/** Local addresses (`127.0.0.1`, `0.0.0.0`, `[::1]`, `*`) of the sockets the tree listens on. */
export function listeningAddresses(root: number): string[] {
  const pids = tree(root);
  const addresses: string[] = [];
  for (const line of execFileSync("ss", ["-ltnpH"], { encoding: "utf8" }).split("\n")) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const local = line.trim().split(/\s+/)[3] ?? "";
    addresses.push(local.slice(0, local.lastIndexOf(":")));
  }
  return addresses;
}

export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\])$/;
