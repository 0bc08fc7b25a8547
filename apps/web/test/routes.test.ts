// GET /api/health against moto: the pattern's own route (what verify and the deployment's owner
// read). The bucket demo's routes are tested with the demo (test/demo/routes.test.ts).

import { afterEach, describe, expect, it, vi } from "vitest";
import { GET as health } from "../app/api/health/route";
import { TEST_ROLE_ARN, useWebIdentityEnv } from "./helpers/aws";

describe("route handlers against moto", () => {
  useWebIdentityEnv();
  afterEach(() => {
    vi.stubEnv("VERCEL_ENV", undefined);
  });

  describe("GET /api/health", () => {
    it("answers 200 with the assumed role and, outside production, the details", async () => {
      const response = await health();
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = await response.json();
      expect(body).toMatchObject({
        ok: true,
        mode: "web-identity-file",
        roleArn: TEST_ROLE_ARN,
        region: "us-east-1",
        identity: { account: "123456789012", roleArn: TEST_ROLE_ARN },
        exchanges: 1,
      });
      expect(body.credentialsExpireAt).toMatch(/^\d{4}-/);
      expect(body.error).toBeUndefined();
    });

    it("tells production only ok, mode and the role's name (no ARN, no account)", async () => {
      vi.stubEnv("VERCEL_ENV", "production");
      const response = await health();
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body).toEqual({
        ok: true,
        mode: "web-identity-file",
        roleName: "keyless-web-production",
      });
    });

    it("never returns the token or the session credentials", async () => {
      const text = await (await health()).text();
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      expect(text).not.toMatch(/SecretAccessKey|SessionToken|secretAccessKey|sessionToken/);
    });
  });
});
