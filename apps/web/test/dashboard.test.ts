// The pattern's page data: the credential mode, why, and the identity STS answers. The bucket
// demo's data is the demo's (test/demo/bucket.test.ts).

import { describe, expect, it } from "vitest";
import { awsClients } from "../lib/aws";
import { loadDashboard } from "../lib/dashboard";
import { TEST_REGION, TEST_ROLE_ARN, useWebIdentityEnv } from "./helpers/aws";

describe("loadDashboard against moto (web-identity-file mode)", () => {
  useWebIdentityEnv();

  it("shows the mode, why and the assumed identity", async () => {
    const data = await loadDashboard();
    expect(data.error).toBeUndefined();
    expect(data.connected).toBe(true);
    expect(data.credentials.mode).toBe("web-identity-file");
    expect(data.credentials.because.join(" ")).toContain("AWS_WEB_IDENTITY_TOKEN_FILE");
    expect(data.credentials.region).toBe(TEST_REGION);
    expect(data.identity).toMatchObject({
      account: "123456789012",
      roleArn: TEST_ROLE_ARN,
      roleName: "keyless-web-production",
      sessionName: data.credentials.sessionName,
    });
    expect(data.setup).toBeUndefined();
  });

  it("a second load shows the same identity, from the same credentials", async () => {
    const again = await loadDashboard();
    expect(again.identity?.roleArn).toBe(TEST_ROLE_ARN);
  });

  it("made one STS exchange for every page load above", () => {
    expect(awsClients().credentials.stats().exchanges).toBe(1);
  });
});
