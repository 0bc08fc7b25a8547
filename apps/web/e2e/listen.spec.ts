// Where `next start` (the app's serve script) listens, read from the kernel: loopback by
// default, every interface only with --network. Nothing here connects to a non-loopback address.
import { expect, test } from "@playwright/test";
import { LOOPBACK, listeningAddresses } from "@repo/sandbox/test-kit/sockets";

const pids = (): Record<string, number> => JSON.parse(process.env.E2E_SERVER_PIDS ?? "{}");

test("the app's servers listen on loopback only", () => {
  for (const name of ["production", "preview", "visitor"]) {
    const addresses = listeningAddresses(pids()[name] as number);
    expect(addresses.length, name).toBeGreaterThan(0);
    for (const address of addresses) expect(address, name).toMatch(LOOPBACK);
  }
});

test("with --network the server listens on every interface", () => {
  const addresses = listeningAddresses(pids().network as number);
  expect(addresses.length).toBeGreaterThan(0);
  expect(addresses.every((address) => address === "0.0.0.0" || address === "*")).toBe(true);
});
