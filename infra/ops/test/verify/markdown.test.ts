import { describe, expect, it } from "vitest";
import { verifyMarkdown } from "../../src/verify/markdown";

describe("verify's report as a job summary", () => {
  it("tables the checks and events, escaping what would break a row", () => {
    const text = verifyMarkdown({
      ok: false,
      checks: [
        { name: "stack", ok: true, detail: "KeylessVercelOidc is UPDATE_COMPLETE" },
        { name: "cloudtrail", ok: false, detail: "no event |\nsince 1h" },
      ],
      events: [
        {
          time: "2026-11-30T10:00:00Z",
          roleArn: "arn:aws:iam::123456789012:role/KeylessVercelOidc-VercelRoleProd-X",
          sessionName: "vercel-production-dpl_1",
          subject: "owner:acme:project:web:environment:production",
          sourceIp: "1.2.3.4",
          userAgent: "ua",
          region: "us-east-1",
          errorCode: null,
        },
      ],
    });
    expect(text).toContain("❌ a check failed");
    expect(text).toContain("| stack | ok | KeylessVercelOidc is UPDATE_COMPLETE |");
    expect(text).toContain("| cloudtrail | FAILED | no event \\| since 1h |");
    expect(text).toContain(
      "| 2026-11-30T10:00:00Z | KeylessVercelOidc-VercelRoleProd-X | vercel-production-dpl_1 | owner:acme:project:web:environment:production | 1.2.3.4 | ok |",
    );
  });

  it("for a public repository leaves out account ids and source IPs", () => {
    const text = verifyMarkdown(
      {
        ok: true,
        checks: [
          {
            name: "credentials",
            ok: true,
            detail:
              "arn:aws:sts::123456789012:assumed-role/GithubDeployRole/run (account 123456789012)",
          },
        ],
        events: [
          {
            time: "2026-11-30T10:00:00Z",
            roleArn: "arn:aws:iam::123456789012:role/KeylessVercelOidc-VercelRoleProd-X",
            sessionName: "vercel-production-dpl_1",
            subject: "owner:acme:project:web:environment:production",
            sourceIp: "203.0.113.9",
            userAgent: "ua",
            region: "us-east-1",
            errorCode: null,
          },
        ],
      },
      { public: true },
    );
    expect(text).not.toContain("123456789012");
    expect(text).not.toContain("203.0.113.9");
    expect(text).toContain("arn:aws:sts::<account>:assumed-role/GithubDeployRole/run");
    expect(text).toContain("| (hidden) |");
  });
});
