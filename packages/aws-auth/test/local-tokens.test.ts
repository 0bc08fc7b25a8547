// Stale development tokens in `.env*` files: which file the token in use came from, the fix.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envFileFolders, observeTokenFiles } from "../src/local-tokens";
import { resolveCredentialMode } from "../src/mode";
import { createIssuer } from "./helpers/issuer";

const issuer = await createIssuer();
const now = Date.now();
const hoursAgo = (h: number) => Math.floor(now / 1000) - h * 3600;
const stale = await issuer.mint({
  environment: "development",
  issuedAt: hoursAgo(13),
  lifetimeSeconds: 12 * 3600,
});
const fresh = await issuer.mint({ environment: "development", lifetimeSeconds: 12 * 3600 });

function workspace(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "aws-auth-envfiles-"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  mkdirSync(join(root, "apps", "web"), { recursive: true });
  for (const [path, token] of Object.entries(files)) {
    writeFileSync(join(root, path), `# vercel env pull\nVERCEL_OIDC_TOKEN="${token}"\n`);
  }
  return { root, app: join(root, "apps", "web") };
}

const base = {
  AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/KeylessDevelopment",
  AWS_REGION: "us-east-1",
};

describe("VERCEL_OIDC_TOKEN in several .env files", () => {
  it("lists them in Next.js's order, app folder before the workspace root", () => {
    const { app } = workspace({
      "apps/web/.env.local": stale,
      "apps/web/.env": fresh,
      ".env": fresh,
    });
    const files = observeTokenFiles(stale, envFileFolders(app), now);
    expect(files.map((f) => [f.file, f.expired, f.matchesEnv])).toEqual([
      [".env.local", true, true],
      [".env", false, false],
      ["../../.env", false, false],
    ]);
    expect(JSON.stringify(files)).not.toContain(stale);
  });

  it("an expired token that wins over a valid one: names its file and says to delete it", () => {
    const { app } = workspace({ "apps/web/.env.local": stale, "apps/web/.env": fresh });
    const tokenFiles = observeTokenFiles(stale, envFileFolders(app), now);
    const finding = resolveCredentialMode(
      { ...base, VERCEL_OIDC_TOKEN: stale, KEYLESS_VERCEL_TOKEN_REFRESH: "off" },
      { now, tokenFiles },
    ).findings.find((f) => f.code === "vercel-token-expired");
    expect(finding?.severity).toBe("error");
    expect(finding?.message).toContain("It comes from .env.local.");
    // In development the app refreshes it (local-refresh.ts): a warning that says so.
    const refreshing = resolveCredentialMode(
      { ...base, VERCEL_OIDC_TOKEN: stale, NODE_ENV: "development" },
      { now, tokenFiles },
    ).findings.find((f) => f.code === "vercel-token-expired");
    expect(refreshing?.severity).toBe("warning");
    expect(refreshing?.message).toContain("The app asks Vercel for a new one");
    expect(finding?.message).toMatch(/Also defined in: \.env \(valid until /);
    expect(finding?.fix).toBe(
      "Delete VERCEL_OIDC_TOKEN from .env.local: it takes precedence over the valid token in .env.",
    );
  });

  it("every copy expired: `vercel env pull`, and keep one file", () => {
    const { app } = workspace({ "apps/web/.env.development.local": stale, ".env": stale });
    const tokenFiles = observeTokenFiles(stale, envFileFolders(app), now);
    const finding = resolveCredentialMode(
      { ...base, VERCEL_OIDC_TOKEN: stale },
      { now, tokenFiles },
    ).findings.find((f) => f.code === "vercel-token-expired");
    expect(finding?.message).toContain("It comes from .env.development.local.");
    expect(finding?.fix).toContain("Run `vercel env pull` again");
    expect(finding?.fix).toContain("delete VERCEL_OIDC_TOKEN from ../../.env");
  });

  it("found in a file even when this process's environment lacks it (the CLI reads no .env)", () => {
    const { root } = workspace({ ".env.local": stale });
    const tokenFiles = observeTokenFiles(undefined, envFileFolders(root), now);
    const finding = resolveCredentialMode(base, { now, tokenFiles }).findings.find(
      (f) => f.code === "vercel-token-expired",
    );
    expect(finding?.message).toMatch(/^VERCEL_OIDC_TOKEN in \.env\.local expired at /);
    expect(finding?.fix).toContain("vercel env pull");
  });
});
