import { createHash, randomUUID } from "node:crypto";

/**
 * CloudTrail for the sandbox: moto has no LookupEvents, so the gateway records every
 * AssumeRoleWithWebIdentity in the event shape CloudTrail uses and serves LookupEvents with the
 * real API's limits (one lookup attribute, ≤ 50 per page, NextToken, 2 requests/s per caller).
 */

/** What the gateway knows about one AssumeRoleWithWebIdentity call. Never holds the token. */
export interface ExchangeRecord {
  time: Date;
  requestId: string;
  region: string;
  accountId: string;
  sourceIp: string;
  userAgent: string;
  roleArn: string | undefined;
  roleSessionName: string | undefined;
  durationSeconds: number | undefined;
  /** From the token, when it could be decoded at all. */
  subject: string | undefined;
  audience: string | undefined;
  providerArn: string | undefined;
  outcome:
    | {
        ok: true;
        accessKeyId: string;
        assumedRoleArn: string;
        assumedRoleId: string;
        expiration: Date;
      }
    | { ok: false; errorCode: string; errorMessage: string };
}

export interface CloudTrailEventRecord {
  eventVersion: string;
  userIdentity: {
    type: "WebIdentityUser";
    principalId: string | null;
    userName: string | null;
    identityProvider: string | null;
  };
  eventTime: string;
  eventSource: "sts.amazonaws.com";
  eventName: "AssumeRoleWithWebIdentity";
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: {
    roleArn: string | null;
    roleSessionName: string | null;
    durationSeconds?: number;
  };
  responseElements: {
    credentials: { accessKeyId: string; expiration: string };
    subjectFromWebIdentityToken: string;
    assumedRoleUser: { assumedRoleId: string; arn: string };
    provider: string;
    audience: string;
  } | null;
  requestID: string;
  eventID: string;
  readOnly: true;
  resources?: { accountId: string; type: string; ARN: string }[];
  eventType: "AwsApiCall";
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: "Management";
}

/** CloudTrail writes STS credential expirations like "Nov 25, 2026, 9:31:07 PM" (UTC). */
function cloudTrailExpiration(date: Date): string {
  return date.toLocaleString("en-US", {
    timeZone: "UTC",
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function buildCloudTrailEvent(record: ExchangeRecord): CloudTrailEventRecord {
  const { outcome } = record;
  const identityPrefix = record.providerArn?.split(":oidc-provider/")[1];
  return {
    eventVersion: "1.08",
    userIdentity: {
      type: "WebIdentityUser",
      principalId:
        identityPrefix && record.subject
          ? `${identityPrefix}:${record.audience ?? ""}:${record.subject}`
          : null,
      userName: record.subject ?? null,
      identityProvider: record.providerArn ?? null,
    },
    eventTime: record.time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: "sts.amazonaws.com",
    eventName: "AssumeRoleWithWebIdentity",
    awsRegion: record.region,
    sourceIPAddress: record.sourceIp,
    userAgent: record.userAgent,
    ...(outcome.ok ? {} : { errorCode: outcome.errorCode, errorMessage: outcome.errorMessage }),
    requestParameters: {
      roleArn: record.roleArn ?? null,
      roleSessionName: record.roleSessionName ?? null,
      ...(record.durationSeconds === undefined ? {} : { durationSeconds: record.durationSeconds }),
    },
    responseElements: outcome.ok
      ? {
          // CloudTrail logs the access key id of issued credentials, never the secret or token.
          credentials: {
            accessKeyId: outcome.accessKeyId,
            expiration: cloudTrailExpiration(outcome.expiration),
          },
          subjectFromWebIdentityToken: record.subject ?? "",
          assumedRoleUser: { assumedRoleId: outcome.assumedRoleId, arn: outcome.assumedRoleArn },
          provider: record.providerArn ?? "",
          audience: record.audience ?? "",
        }
      : null,
    requestID: record.requestId,
    eventID: randomUUID(),
    readOnly: true,
    ...(record.roleArn
      ? {
          resources: [{ accountId: record.accountId, type: "AWS::IAM::Role", ARN: record.roleArn }],
        }
      : {}),
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: record.accountId,
    eventCategory: "Management",
  };
}

interface StoredEvent {
  sequence: number;
  visibleAt: number;
  event: CloudTrailEventRecord;
  resources: { ResourceType: string; ResourceName: string }[];
  accessKeyId: string | undefined;
}

/** An item of LookupEvents' `Events`, as the JSON 1.1 wire carries it. */
export interface LookupEventItem {
  EventId: string;
  EventName: string;
  ReadOnly: string;
  AccessKeyId?: string;
  EventTime: number;
  EventSource: string;
  Username?: string;
  Resources: { ResourceType: string; ResourceName: string }[];
  CloudTrailEvent: string;
}

export const LOOKUP_ATTRIBUTE_KEYS = [
  "EventId",
  "EventName",
  "ReadOnly",
  "Username",
  "ResourceType",
  "ResourceName",
  "EventSource",
  "AccessKeyId",
] as const;

const MAX_RESULTS = 50;
const MAX_STORED_EVENTS = 50_000;

/** A CloudTrail API error in the JSON 1.1 shape; `status` is the HTTP status. */
export class CloudTrailApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface CloudTrailStoreOptions {
  /** How long after the call an event becomes visible (real CloudTrail: ~5 min). @default 0 */
  deliveryDelayMs?: number;
}

export class CloudTrailStore {
  #events: StoredEvent[] = [];
  #sequence = 0;
  deliveryDelayMs: number;

  constructor(options: CloudTrailStoreOptions = {}) {
    this.deliveryDelayMs = options.deliveryDelayMs ?? 0;
  }

  get size(): number {
    return this.#events.length;
  }

  record(exchange: ExchangeRecord): CloudTrailEventRecord {
    const event = buildCloudTrailEvent(exchange);
    const { outcome } = exchange;
    const resources = outcome.ok
      ? [
          { ResourceType: "AWS::STS::AccessKey", ResourceName: outcome.accessKeyId },
          { ResourceType: "AWS::STS::AssumedRole", ResourceName: outcome.assumedRoleId },
          { ResourceType: "AWS::IAM::Role", ResourceName: exchange.roleArn ?? "" },
        ]
      : exchange.roleArn
        ? [{ ResourceType: "AWS::IAM::Role", ResourceName: exchange.roleArn }]
        : [];
    this.#events.push({
      sequence: ++this.#sequence,
      visibleAt: exchange.time.getTime() + this.deliveryDelayMs,
      event,
      resources,
      // The call is unsigned, so (as in CloudTrail) no access key made it.
      accessKeyId: undefined,
    });
    if (this.#events.length > MAX_STORED_EVENTS) this.#events.shift();
    return event;
  }

  /** Every recorded event, oldest first (tests and benchmarks). */
  events(): CloudTrailEventRecord[] {
    return this.#events.map((stored) => stored.event);
  }

  clear(): void {
    this.#events = [];
  }

  /** LookupEvents, newest first. `input` is the decoded JSON request; `region` the caller's. */
  lookup(input: Record<string, unknown>, region: string, now = Date.now()) {
    const attributes = input.LookupAttributes;
    if (attributes !== undefined && !Array.isArray(attributes)) {
      throw new CloudTrailApiError(
        "InvalidLookupAttributesException",
        "LookupAttributes must be a list",
      );
    }
    if (attributes && attributes.length > 1) {
      throw new CloudTrailApiError(
        "InvalidLookupAttributesException",
        "You cannot specify more than one lookup attribute per request.",
      );
    }
    const attribute = attributes?.[0] as
      | { AttributeKey?: unknown; AttributeValue?: unknown }
      | undefined;
    if (attribute) {
      if (!LOOKUP_ATTRIBUTE_KEYS.includes(attribute.AttributeKey as never)) {
        throw new CloudTrailApiError(
          "InvalidLookupAttributesException",
          `Lookup attribute key ${JSON.stringify(attribute.AttributeKey)} is not one of ${LOOKUP_ATTRIBUTE_KEYS.join(", ")}.`,
        );
      }
      if (typeof attribute.AttributeValue !== "string" || attribute.AttributeValue === "") {
        throw new CloudTrailApiError(
          "InvalidLookupAttributesException",
          "Lookup attribute value must be a non-empty string.",
        );
      }
    }
    const maxResults = input.MaxResults ?? MAX_RESULTS;
    if (
      !Number.isInteger(maxResults) ||
      (maxResults as number) < 1 ||
      (maxResults as number) > MAX_RESULTS
    ) {
      throw new CloudTrailApiError(
        "InvalidMaxResultsException",
        `MaxResults must be between 1 and ${MAX_RESULTS}.`,
      );
    }
    const startTime = parseTime(input.StartTime, "StartTime");
    const endTime = parseTime(input.EndTime, "EndTime");
    if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
      throw new CloudTrailApiError(
        "InvalidTimeRangeException",
        "Start time must be equal to or earlier than end time.",
      );
    }
    if (input.EventCategory !== undefined && input.EventCategory !== "insight") {
      throw new CloudTrailApiError(
        "InvalidEventCategoryException",
        "EventCategory must be insight.",
      );
    }
    // The query fingerprint ties a NextToken to the request that produced it, as CloudTrail does.
    const fingerprint = createHash("sha256")
      .update(JSON.stringify([attribute ?? null, startTime ?? null, endTime ?? null, region]))
      .digest("hex")
      .slice(0, 16);
    const before =
      input.NextToken === undefined ? Infinity : parseNextToken(input.NextToken, fingerprint);

    const matches: StoredEvent[] = [];
    // Insights events are not recorded by the sandbox: that lookup is always empty.
    if (input.EventCategory !== "insight") {
      for (let index = this.#events.length - 1; index >= 0; index--) {
        const stored = this.#events[index] as StoredEvent;
        if (stored.sequence >= before || stored.visibleAt > now) continue;
        const time = Date.parse(stored.event.eventTime);
        if (stored.event.awsRegion !== region) continue;
        // Event times have whole seconds, so the bounds are compared at that precision.
        if (startTime !== undefined && time < Math.floor(startTime / 1000) * 1000) continue;
        if (endTime !== undefined && time > endTime) continue;
        if (
          attribute &&
          !matchesAttribute(
            stored,
            attribute.AttributeKey as string,
            attribute.AttributeValue as string,
          )
        )
          continue;
        matches.push(stored);
        if (matches.length > (maxResults as number)) break;
      }
    }
    const page = matches.slice(0, maxResults as number);
    const last = page.at(-1);
    return {
      Events: page.map(toLookupItem),
      ...(matches.length > page.length && last
        ? { NextToken: Buffer.from(`${fingerprint}:${last.sequence}`).toString("base64url") }
        : {}),
    };
  }
}

function parseTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  // The SDK sends JSON 1.1 timestamps as epoch seconds; accept ISO strings from hand-made calls.
  const millis =
    typeof value === "number"
      ? value * 1000
      : typeof value === "string"
        ? Date.parse(value)
        : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new CloudTrailApiError("InvalidTimeRangeException", `${name} is not a valid timestamp.`);
  }
  return millis;
}

function parseNextToken(token: unknown, fingerprint: string): number {
  const decoded = typeof token === "string" ? Buffer.from(token, "base64url").toString("utf8") : "";
  const [tokenFingerprint, sequence] = decoded.split(":");
  if (tokenFingerprint !== fingerprint || !sequence || !/^\d+$/.test(sequence)) {
    throw new CloudTrailApiError(
      "InvalidNextTokenException",
      "The NextToken is invalid or does not belong to this query (same attribute and time range).",
    );
  }
  return Number(sequence);
}

function matchesAttribute(stored: StoredEvent, key: string, value: string): boolean {
  const { event } = stored;
  switch (key) {
    case "EventId":
      return event.eventID === value;
    case "EventName":
      return event.eventName === value;
    case "ReadOnly":
      return String(event.readOnly) === value;
    case "Username":
      return event.userIdentity.userName === value;
    case "EventSource":
      return event.eventSource === value;
    case "AccessKeyId":
      return stored.accessKeyId === value;
    case "ResourceType":
      return stored.resources.some((resource) => resource.ResourceType === value);
    case "ResourceName":
      return stored.resources.some((resource) => resource.ResourceName === value);
    default:
      return false;
  }
}

function toLookupItem(stored: StoredEvent): LookupEventItem {
  const { event } = stored;
  return {
    EventId: event.eventID,
    EventName: event.eventName,
    ReadOnly: String(event.readOnly),
    ...(stored.accessKeyId ? { AccessKeyId: stored.accessKeyId } : {}),
    EventTime: Date.parse(event.eventTime) / 1000,
    EventSource: event.eventSource,
    ...(event.userIdentity.userName ? { Username: event.userIdentity.userName } : {}),
    Resources: stored.resources,
    CloudTrailEvent: JSON.stringify(event),
  };
}

/**
 * LookupEvents allows 2 requests per second per account and region; the sandbox counts per caller
 * (access key, else source address) over a sliding one-second window.
 */
export class LookupRateLimiter {
  #calls = new Map<string, number[]>();

  constructor(
    readonly perSecond = 2,
    readonly windowMs = 1000,
  ) {}

  allow(caller: string, now = Date.now()): boolean {
    const recent = (this.#calls.get(caller) ?? []).filter((time) => now - time < this.windowMs);
    const allowed = recent.length < this.perSecond;
    if (allowed) recent.push(now);
    this.#calls.set(caller, recent);
    return allowed;
  }
}
