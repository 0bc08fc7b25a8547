// verify reads only the provider it checks. moto serves these IAM calls but authorizes them
// against resource "*" only, so a caller allowed to read one provider ARN (the GitHub deploy role)
// cannot be reproduced there: this IAM stand-in answers like IAM does for such a caller — the
// list, the one readable provider, AccessDenied (403) for any other — with AWS's response shapes.
import {
  GetOpenIDConnectProviderCommand,
  ListOpenIDConnectProvidersCommand,
} from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { checkProvider } from "../../src/verify/checks";
import { fetchProviders, type VerifyClients } from "../../src/verify/fetch";

const ACCOUNT = "123456789012";
const VERCEL = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.vercel.com/acme`;
const OTHERS = [
  `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
  `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
  `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.vercel.com/other-team`,
];

function iamReadingOnly(readable: string) {
  const got: string[] = [];
  const iam = {
    async send(command: unknown) {
      if (command instanceof ListOpenIDConnectProvidersCommand) {
        return { OpenIDConnectProviderList: [...OTHERS, VERCEL].map((Arn) => ({ Arn })) };
      }
      if (command instanceof GetOpenIDConnectProviderCommand) {
        const arn = command.input.OpenIDConnectProviderArn ?? "";
        got.push(arn);
        if (arn !== readable) {
          throw Object.assign(
            new Error(
              `User: arn:aws:sts::${ACCOUNT}:assumed-role/KeylessVercelOidc-GithubDeployRole-X/github-deploy is not authorized to perform: iam:GetOpenIDConnectProvider on resource: ${arn} because no identity-based policy allows the iam:GetOpenIDConnectProvider action`,
            ),
            { name: "AccessDenied", $metadata: { httpStatusCode: 403 } },
          );
        }
        return {
          Url: "oidc.vercel.com/acme",
          ClientIDList: ["https://vercel.com/acme"],
          ThumbprintList: [],
          CreateDate: new Date("2026-01-01T00:00:00Z"),
        };
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  };
  return { clients: { iam } as unknown as VerifyClients, got };
}

/** The provider check for the team (or global) issuer of team acme. */
const checkFor = (facts: Awaited<ReturnType<typeof fetchProviders>>, issuerHostPath: string) =>
  checkProvider(facts, {
    issuerUrl: `https://${issuerHostPath}`,
    issuerHostPath,
    issuerMode: issuerHostPath === "oidc.vercel.com" ? "global" : "team",
    audience: "https://vercel.com/acme",
  });

describe("fetchProviders", () => {
  it("reads only the provider of the issuer it checks; the others by their ARN", async () => {
    const { clients, got } = iamReadingOnly(VERCEL);
    const facts = await fetchProviders(clients, "oidc.vercel.com/acme");
    expect(got).toEqual([VERCEL]);
    expect(facts).toEqual({
      ok: true,
      providers: [
        { arn: OTHERS[0], url: "token.actions.githubusercontent.com", clientIds: [] },
        {
          arn: OTHERS[1],
          url: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
          clientIds: [],
        },
        { arn: OTHERS[2], url: "oidc.vercel.com/other-team", clientIds: [] },
        { arn: VERCEL, url: "oidc.vercel.com/acme", clientIds: ["https://vercel.com/acme"] },
      ],
    });
    const check = checkFor(facts, "oidc.vercel.com/acme");
    expect(check.result.ok).toBe(true);
    expect(check.providerArn).toBe(VERCEL);
  });

  it("without a provider for the issuer, names the other Vercel ones from their ARNs", async () => {
    const { clients, got } = iamReadingOnly(VERCEL);
    const facts = await fetchProviders(clients, "oidc.vercel.com");
    expect(got).toEqual([]);
    const check = checkFor(facts, "oidc.vercel.com");
    expect(check.result.ok).toBe(false);
    expect(check.result.detail).toContain(
      "The account has https://oidc.vercel.com/other-team, https://oidc.vercel.com/acme instead",
    );
  });
});
