import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as health } from "../app/api/health/route";
import { loadDashboard } from "../lib/dashboard";
import { DEPLOYMENT_SETUP_STEPS, LOCAL_SETUP_STEPS } from "../lib/setup-steps";
import { forgetAwsState, stubEnv } from "./helpers/aws";

const dir = mkdtempSync(join(tmpdir(), "keyless-unconfigured-"));
const emptyConfig = join(dir, "config");
writeFileSync(emptyConfig, "[profile someone-else]\nregion = eu-west-1\n");

afterAll(() => {
  forgetAwsState();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe("with no AWS configured (mode none)", () => {
  beforeEach(() => stubEnv({}));

  it("the page shows the setup steps instead of an error", async () => {
    const data = await loadDashboard();
    expect(data.credentials.mode).toBe("none");
    expect(data.setup).toEqual(LOCAL_SETUP_STEPS);
    expect(data.setup?.flatMap((step) => step.commands)).toEqual(
      expect.arrayContaining(["pnpm dev", "AWS_PROFILE=my-profile", "pnpm infra:deploy"]),
    );
    expect(data.error).toBeUndefined();
    expect(data.identity).toBeUndefined();
  });

  it("health answers 503 with the explained reason", async () => {
    const response = await health();
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body).toMatchObject({ ok: false, mode: "none", error: { code: "not-configured" } });
    expect(body.error.fixes.join(" ")).toContain("pnpm dev");
  });

  it("the sandbox's marker shows the sandbox section off Vercel only", async () => {
    stubEnv({});
    vi.stubEnv("KEYLESS_SANDBOX", "production");
    expect((await loadDashboard({})).sandbox).toBe("production");
    stubEnv({ VERCEL: "1", VERCEL_ENV: "preview" });
    vi.stubEnv("KEYLESS_SANDBOX", "production");
    expect((await loadDashboard({})).sandbox).toBeUndefined();
  });

  it("a deployment speaks to its owner: clone, configure, deploy the stack, vercel:env, redeploy", async () => {
    // What Vercel gives a function: VERCEL=1, its region, and (for new projects) no AWS_ROLE_ARN.
    stubEnv({ VERCEL: "1", VERCEL_ENV: "preview" });
    vi.stubEnv("VERCEL_REGION", "iad1");
    const data = await loadDashboard({});
    expect(data.setup).toEqual(DEPLOYMENT_SETUP_STEPS);
    // The steps say what the "no role on Vercel" finding would: no alarming error box beside them.
    expect(data.findings.map((finding) => finding.code)).not.toContain("role-missing-on-vercel");
    const commands = data.setup?.flatMap((step) => step.commands).join("\n") ?? "";
    for (const step of [
      "git clone",
      "pnpm configure",
      "pnpm infra:deploy",
      "pnpm vercel:env --apply",
      "vercel deploy --prod",
    ]) {
      expect(commands).toContain(step);
    }
    // Nothing only a laptop can do: no pnpm dev, no AWS_PROFILE.
    expect(commands).not.toMatch(/pnpm dev|AWS_PROFILE/);
    // /api/health agrees with the page: the same code, title and steps.
    const body = await (await health()).json();
    expect(body.error).toMatchObject({
      code: "not-configured",
      title: "This deployment is not connected to AWS yet",
    });
    expect(body.error.fixes.join("\n")).toContain("pnpm vercel:env --apply");
  });

  it("production health names the error by code and a sentence; the rest goes to the log", async () => {
    vi.stubEnv("VERCEL_ENV", "production");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const body = await (await health()).json();
    expect(body).toEqual({
      ok: false,
      mode: "none",
      error: {
        code: "not-configured",
        title: "No AWS credentials are configured",
        cause: "Details are in the function log.",
        fixes: [],
      },
    });
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/not-configured/));
    logged.mockRestore();
  });
});

describe("with a profile that does not exist", () => {
  beforeEach(() =>
    stubEnv({
      AWS_PROFILE: "missing-profile",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: emptyConfig,
    }),
  );

  it("the page explains the broken configuration with its fix", async () => {
    const data = await loadDashboard();
    expect(data.credentials.mode).toBe("profile");
    expect(data.findings.map((finding) => finding.code)).toContain("profile-missing");
    expect(data.error).toMatchObject({ code: "bad-configuration" });
    expect(data.error?.fixes.join(" ")).toContain("someone-else");
    expect(data.setup).toBeUndefined();
  });

  it("health answers 503 and lists the finding", async () => {
    const response = await health();
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body.mode).toBe("profile");
    expect(body.error.code).toBe("bad-configuration");
    expect(body.findings.map((finding: { code: string }) => finding.code)).toContain(
      "profile-missing",
    );
  });
});
