// LookupEvents as the gateway serves it, exercised with the real CloudTrail SDK client. The events
// are recorded straight into the store here; gateway.test.ts records them through real exchanges.

import {
  CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudTrailStore, type ExchangeRecord } from "../src/cloudtrail";
import { FaultInjector } from "../src/faults";
import { type Gateway, startGateway } from "../src/gateway";

const ACCOUNT = "123456789012";
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.vercel.com/acme`;
const PRODUCTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/Keyless-VercelRoleProduction-ABC`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/Other`;
const PRODUCTION_SUB = "owner:acme:project:web:environment:production";
const PREVIEW_SUB = "owner:acme:project:web:environment:preview";

function exchange(overrides: Partial<ExchangeRecord> & { ok?: boolean } = {}): ExchangeRecord {
  const { ok = true, ...rest } = overrides;
  return {
    time: new Date(),
    requestId: crypto.randomUUID(),
    region: "us-east-1",
    accountId: ACCOUNT,
    sourceIp: "127.0.0.1",
    userAgent: "aws-sdk-js/3 test",
    roleArn: PRODUCTION_ROLE,
    roleSessionName: "web-production-dpl_123",
    durationSeconds: undefined,
    subject: PRODUCTION_SUB,
    audience: "https://vercel.com/acme",
    providerArn: PROVIDER,
    outcome: ok
      ? {
          ok: true,
          accessKeyId: "ASIASANDBOXEXAMPLE",
          assumedRoleArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Keyless-VercelRoleProduction-ABC/web-production-dpl_123`,
          assumedRoleId: "AROASANDBOX:web-production-dpl_123",
          expiration: new Date(Date.now() + 3_600_000),
        }
      : {
          ok: false,
          errorCode: "AccessDenied",
          errorMessage: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        },
    ...rest,
  };
}

let gateway: Gateway;
const store = new CloudTrailStore();
let callerCount = 0;

/** A client with its own access key: the 2 requests/s limit is per caller. */
function cloudTrail(region = "us-east-1"): CloudTrailClient {
  callerCount++;
  return new CloudTrailClient({
    region,
    endpoint: gateway.url,
    credentials: { accessKeyId: `caller${callerCount}`, secretAccessKey: "unused" },
    // Throttling is what these tests look at: no silent SDK retries.
    maxAttempts: 1,
  });
}

const lookup = (input: LookupEventsCommandInput, client = cloudTrail()) =>
  client.send(new LookupEventsCommand(input));

beforeAll(async () => {
  store.record(exchange({ ok: false, subject: PREVIEW_SUB, time: new Date(Date.now() - 2000) }));
  store.record(exchange({ ok: true, time: new Date(Date.now() - 1000) }));
  store.record(exchange({ ok: true, roleArn: OTHER_ROLE, region: "eu-west-1" }));
  gateway = await startGateway({
    motoPort: 1, // LookupEvents never reaches moto
    region: "us-east-1",
    accountId: ACCOUNT,
    backend: { iam: new IAMClient({ region: "us-east-1" }), jwks: { keys: [] } },
    cloudTrail: store,
    faults: new FaultInjector(),
  });
});

afterAll(async () => {
  await gateway.close();
});

describe("LookupEvents", () => {
  it("returns the fields verify reads, newest first, for the caller's region only", async () => {
    const result = await lookup({
      LookupAttributes: [
        { AttributeKey: "EventName", AttributeValue: "AssumeRoleWithWebIdentity" },
      ],
    });
    const events = result.Events ?? [];
    expect(events).toHaveLength(2);
    const [success, failure] = events;
    expect(success).toMatchObject({
      EventName: "AssumeRoleWithWebIdentity",
      EventSource: "sts.amazonaws.com",
      ReadOnly: "true",
      Username: PRODUCTION_SUB,
    });
    expect(success?.EventTime).toBeInstanceOf(Date);
    expect(success?.Resources).toContainEqual({
      ResourceType: "AWS::IAM::Role",
      ResourceName: PRODUCTION_ROLE,
    });
    const detail = JSON.parse(success?.CloudTrailEvent ?? "{}");
    expect(detail).toMatchObject({
      eventSource: "sts.amazonaws.com",
      eventName: "AssumeRoleWithWebIdentity",
      awsRegion: "us-east-1",
      sourceIPAddress: "127.0.0.1",
      userAgent: "aws-sdk-js/3 test",
      readOnly: true,
      recipientAccountId: ACCOUNT,
      userIdentity: {
        type: "WebIdentityUser",
        userName: PRODUCTION_SUB,
        identityProvider: PROVIDER,
        principalId: `oidc.vercel.com/acme:https://vercel.com/acme:${PRODUCTION_SUB}`,
      },
      requestParameters: { roleArn: PRODUCTION_ROLE, roleSessionName: "web-production-dpl_123" },
      responseElements: {
        subjectFromWebIdentityToken: PRODUCTION_SUB,
        audience: "https://vercel.com/acme",
        provider: PROVIDER,
        assumedRoleUser: {
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Keyless-VercelRoleProduction-ABC/web-production-dpl_123`,
        },
        credentials: { accessKeyId: "ASIASANDBOXEXAMPLE" },
      },
    });
    expect(Object.keys(detail.responseElements.credentials).sort()).toEqual([
      "accessKeyId",
      "expiration",
    ]);
    expect(detail.errorCode).toBeUndefined();

    const failed = JSON.parse(failure?.CloudTrailEvent ?? "{}");
    expect(failed).toMatchObject({
      errorCode: "AccessDenied",
      errorMessage: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      responseElements: null,
      userIdentity: { userName: PREVIEW_SUB },
    });

    const other = await lookup({}, cloudTrail("eu-west-1"));
    expect(other.Events?.map((event) => event.Resources?.at(-1)?.ResourceName)).toEqual([
      OTHER_ROLE,
    ]);
  });

  it("filters on Username, ResourceName, EventSource and the time range", async () => {
    const byUser = await lookup({
      LookupAttributes: [{ AttributeKey: "Username", AttributeValue: PREVIEW_SUB }],
    });
    expect(byUser.Events?.map((event) => event.Username)).toEqual([PREVIEW_SUB]);

    const byRole = await lookup({
      LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: PRODUCTION_ROLE }],
    });
    expect(byRole.Events).toHaveLength(2);

    const bySource = await lookup({
      LookupAttributes: [{ AttributeKey: "EventSource", AttributeValue: "iam.amazonaws.com" }],
    });
    expect(bySource.Events).toEqual([]);

    const future = await lookup({ StartTime: new Date(Date.now() + 60_000) });
    expect(future.Events).toEqual([]);
    const past = await lookup({ EndTime: new Date(Date.now() - 3_600_000) });
    expect(past.Events).toEqual([]);
  });

  it("pages with NextToken, at most 50 per page", async () => {
    const paging = new CloudTrailStore();
    for (let index = 0; index < 60; index++) {
      paging.record(exchange({ roleSessionName: `session-${index}` }));
    }
    const local = await startGateway({
      motoPort: 1,
      region: "us-east-1",
      accountId: ACCOUNT,
      backend: { iam: new IAMClient({ region: "us-east-1" }), jwks: { keys: [] } },
      cloudTrail: paging,
      faults: new FaultInjector(),
    });
    try {
      const client = new CloudTrailClient({
        region: "us-east-1",
        endpoint: local.url,
        credentials: { accessKeyId: "pager", secretAccessKey: "unused" },
      });
      const sessions: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        // Real callers pace themselves under the 2 requests/s limit; so does this test.
        if (pages > 0) await new Promise((resolve) => setTimeout(resolve, 1100));
        const page = await client.send(new LookupEventsCommand({ NextToken: nextToken }));
        expect(page.Events?.length).toBeLessThanOrEqual(50);
        for (const event of page.Events ?? []) {
          sessions.push(
            JSON.parse(event.CloudTrailEvent ?? "{}").requestParameters.roleSessionName,
          );
        }
        nextToken = page.NextToken;
        pages++;
      } while (nextToken);
      expect(pages).toBe(2);
      expect(sessions).toHaveLength(60);
      expect(sessions[0]).toBe("session-59");
      expect(sessions.at(-1)).toBe("session-0");
      expect(new Set(sessions).size).toBe(60);
    } finally {
      await local.close();
    }
  });

  it("throttles a caller beyond 2 requests per second with ThrottlingException", async () => {
    const client = cloudTrail();
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map(() => lookup({ MaxResults: 1 }, client)),
    );
    const rejected = results.filter((result) => result.status === "rejected");
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(2);
    expect(rejected).toHaveLength(2);
    for (const result of rejected) {
      expect((result as PromiseRejectedResult).reason.name).toBe("ThrottlingException");
    }
    // Another caller is not affected.
    await expect(lookup({ MaxResults: 1 })).resolves.toBeDefined();
    expect(gateway.stats().cloudTrailThrottled).toBeGreaterThanOrEqual(2);
  });

  it("refuses malformed queries with CloudTrail's exception names", async () => {
    await expect(
      lookup({
        LookupAttributes: [
          { AttributeKey: "EventName", AttributeValue: "AssumeRoleWithWebIdentity" },
          { AttributeKey: "Username", AttributeValue: PRODUCTION_SUB },
        ],
      }),
    ).rejects.toMatchObject({ name: "InvalidLookupAttributesException" });
    await expect(lookup({ MaxResults: 51 })).rejects.toMatchObject({
      name: "InvalidMaxResultsException",
    });
    await expect(lookup({ NextToken: "not-a-token" })).rejects.toMatchObject({
      name: "InvalidNextTokenException",
    });
    await expect(
      lookup({ StartTime: new Date(), EndTime: new Date(Date.now() - 60_000) }),
    ).rejects.toMatchObject({ name: "InvalidTimeRangeException" });
  });
});

describe("CloudTrailStore", () => {
  it("delivers events only after the configured delay", () => {
    const delayed = new CloudTrailStore({ deliveryDelayMs: 300_000 });
    const recordedAt = Date.now();
    delayed.record(exchange({ time: new Date(recordedAt) }));
    expect(delayed.lookup({}, "us-east-1", recordedAt + 1000).Events).toEqual([]);
    expect(delayed.lookup({}, "us-east-1", recordedAt + 300_000).Events).toHaveLength(1);
  });
});

describe("when the sandbox itself fails", () => {
  it("answers STS InternalFailure (500) and records the failed exchange", async () => {
    const failing = new CloudTrailStore();
    const local = await startGateway({
      motoPort: 1,
      region: "us-east-1",
      accountId: ACCOUNT,
      // IAM unreachable: the provider lookup fails inside the sandbox.
      backend: {
        iam: new IAMClient({
          region: "us-east-1",
          endpoint: "http://127.0.0.1:1",
          maxAttempts: 1,
          credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
        }),
        jwks: { keys: [] },
      },
      cloudTrail: failing,
      faults: new FaultInjector(),
    });
    try {
      const { privateKey } = await generateKeyPair("RS256");
      const token = await new SignJWT({ sub: PRODUCTION_SUB })
        .setProtectedHeader({ alg: "RS256" })
        .setIssuer("https://oidc.vercel.com/acme")
        .setAudience("https://vercel.com/acme")
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
      const sts = new STSClient({ region: "us-east-1", endpoint: local.url, maxAttempts: 1 });
      await expect(
        sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: PRODUCTION_ROLE,
            RoleSessionName: "internal-failure",
            WebIdentityToken: token,
          }),
        ),
      ).rejects.toMatchObject({ name: "InternalFailure", $metadata: { httpStatusCode: 500 } });
      expect(failing.events()).toMatchObject([
        {
          errorCode: "InternalFailure",
          responseElements: null,
          requestParameters: { roleSessionName: "internal-failure" },
        },
      ]);
    } finally {
      await local.close();
    }
  });
});
