import { describe, expect, it } from "vitest";
import { listenArgs, NETWORK_FLAG, networkWarning, portOf } from "../scripts/listen";

describe("listenArgs: where pnpm dev and the serve script listen", () => {
  it("loopback by default", () => {
    expect(listenArgs(["--port", "3100"])).toEqual({
      args: ["--port", "3100", "--hostname", "127.0.0.1"],
      network: false,
    });
  });

  it("every interface with --network, the flag itself not passed to next", () => {
    expect(listenArgs(["--", NETWORK_FLAG])).toEqual({
      args: ["--hostname", "0.0.0.0"],
      network: true,
    });
  });

  it("the user's own --hostname wins, and says whether it leaves loopback", () => {
    expect(listenArgs(["-H", "localhost"])).toEqual({ args: ["-H", "localhost"], network: false });
    expect(listenArgs(["--hostname=192.168.1.5"]).network).toBe(true);
    expect(listenArgs(["--hostname", "::1", NETWORK_FLAG]).args).toEqual(["--hostname", "::1"]);
  });

  it("the warning says what becomes reachable and names the port", () => {
    const lines = networkWarning(portOf(["-p", "4000"])).join("\n");
    expect(lines).toContain("every interface");
    expect(lines).toMatch(/AWS credentials/);
    expect(portOf(["--port=4100"])).toBe("4100");
    expect(portOf([])).toBeUndefined();
  });
});
