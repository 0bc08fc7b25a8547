import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, sandboxStateDir } from "../src/state";

describe("where a sandbox keeps its state", () => {
  it("is .sandbox/ at the repository root unless KEYLESS_SANDBOX_DIR says otherwise", () => {
    expect(sandboxStateDir({})).toBe(join(REPO_ROOT, ".sandbox"));
    expect(sandboxStateDir({ KEYLESS_SANDBOX_DIR: "  " })).toBe(join(REPO_ROOT, ".sandbox"));
  });

  it("takes KEYLESS_SANDBOX_DIR as given when absolute, from the repository root when relative", () => {
    expect(sandboxStateDir({ KEYLESS_SANDBOX_DIR: "/tmp/keyless-state" })).toBe(
      "/tmp/keyless-state",
    );
    expect(sandboxStateDir({ KEYLESS_SANDBOX_DIR: "tmp/sandbox-b" })).toBe(
      join(REPO_ROOT, "tmp", "sandbox-b"),
    );
  });
});
