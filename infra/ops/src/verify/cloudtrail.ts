// Check 7: CloudTrail. LookupEvents allows 2 requests per second per account and region, and
// delivers events about 5 minutes after the call (not guaranteed), so the poller paces its calls,
// backs off between lookups, retries ThrottlingException, and never concludes from one empty page
// while --wait has time left. Clock and sleep are injectable so tests run without real waiting.

import { type ExplainedError, explainAwsError } from "@repo/aws-auth/explain";
import type { InfraConfig } from "@repo/infra/config";
import { formatDuration } from "./duration";
import type { CheckResult, StackRole, VerifyEvent } from "./types";

export const ASSUME_EVENT_NAME = "AssumeRoleWithWebIdentity";

/** An event as verify keeps it: the JSON fields plus what explaining a failure needs. */
export interface TrailEvent extends VerifyEvent {
  eventId: string;
  errorMessage: string | null;
  audience: string | null;
}

/** One item of LookupEvents' Events (the parts verify reads). */
export interface LookupItem {
  EventId?: string;
  EventTime?: Date;
  Username?: string;
  CloudTrailEvent?: string;
}

export interface LookupPage {
  items: LookupItem[];
  nextToken?: string;
  /** Attempts the SDK's own retries took for this page (1 = answered at once). */
  attempts?: number;
}

/** One LookupEvents call for AssumeRoleWithWebIdentity since `startTime`. */
export type LookupPageFn = (startTime: Date, nextToken: string | undefined) => Promise<LookupPage>;

export interface PollClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: PollClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** Reads the CloudTrail record inside a LookupEvents item; undefined when it is not one. */
export function toTrailEvent(item: LookupItem): TrailEvent | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(item.CloudTrailEvent ?? "") as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const field = (key: string) =>
    (record[key] && typeof record[key] === "object" ? record[key] : {}) as Record<string, unknown>;
  const request = field("requestParameters");
  const response = field("responseElements");
  const identity = field("userIdentity");
  return {
    eventId: str(record.eventID) ?? item.EventId ?? "",
    time: str(record.eventTime) ?? item.EventTime?.toISOString() ?? "",
    roleArn: str(request.roleArn),
    sessionName: str(request.roleSessionName),
    subject:
      str(identity.userName) ?? str(response.subjectFromWebIdentityToken) ?? item.Username ?? null,
    sourceIp: str(record.sourceIPAddress),
    userAgent: str(record.userAgent),
    region: str(record.awsRegion),
    errorCode: str(record.errorCode),
    errorMessage: str(record.errorMessage),
    audience: str(response.audience) ?? audienceFromPrincipal(identity),
  };
}

/**
 * Failed exchanges have no responseElements, but CloudTrail's principalId for a web identity user
 * is `<provider host/path>:<aud>:<sub>`, so the audience the token carried can still be read.
 */
function audienceFromPrincipal(identity: Record<string, unknown>): string | null {
  const principalId = str(identity.principalId);
  const provider = str(identity.identityProvider)?.split(":oidc-provider/")[1];
  const subject = str(identity.userName);
  if (!principalId || !provider || !subject) return null;
  const prefix = `${provider}:`;
  const suffix = `:${subject}`;
  if (!principalId.startsWith(prefix) || !principalId.endsWith(suffix)) return null;
  return principalId.slice(prefix.length, principalId.length - suffix.length) || null;
}

/** Exactly the keys of the `--json` event shape. */
export function publicEvent(event: TrailEvent): VerifyEvent {
  const { time, roleArn, sessionName, subject, sourceIp, userAgent, region, errorCode } = event;
  return { time, roleArn, sessionName, subject, sourceIp, userAgent, region, errorCode };
}

// --- polling ------------------------------------------------------------------------------------

export interface PollProgress {
  elapsedMs: number;
  lookups: number;
  throttled: number;
}

export interface PollOptions {
  lookup: LookupPageFn;
  since: Date;
  /** How long to keep looking for a matching event; 0 = one complete lookup. */
  waitMs: number;
  /** Which events count (the stack's roles). */
  relevant(event: TrailEvent): boolean;
  /** Stop as soon as this holds (a successful exchange). */
  done(events: readonly TrailEvent[]): boolean;
  clock?: PollClock;
  onProgress?(progress: PollProgress): void;
  /** Pace: at most 2 LookupEvents per second. @default 500 */
  minCallIntervalMs?: number;
  /** Between complete lookups: doubles from the first value up to the second. @default [2000, 30000] */
  pollBackoffMs?: readonly [number, number];
  /** After a ThrottlingException: doubles from the first value up to the second. @default [1000, 8000] */
  throttleBackoffMs?: readonly [number, number];
  /** Pages read per lookup at most (50 events each). @default 20 */
  maxPages?: number;
}

export interface PollResult extends PollProgress {
  events: TrailEvent[];
  found: boolean;
  /** A lookup that failed for another reason than throttling (e.g. AccessDenied). */
  error?: unknown;
  /** Stopped at maxPages: older events were not read. */
  truncated: boolean;
}

export function isThrottling(error: unknown): boolean {
  const shape = (error ?? {}) as { name?: string; $retryable?: { throttling?: boolean } };
  return (
    shape.name === "ThrottlingException" ||
    shape.name === "Throttling" ||
    shape.name === "TooManyRequestsException" ||
    shape.$retryable?.throttling === true
  );
}

/** Give up on a throttled lookup after this many retries in a row once --wait has run out. */
const THROTTLE_RETRIES_AFTER_DEADLINE = 5;

export async function pollCloudTrail(options: PollOptions): Promise<PollResult> {
  const clock = options.clock ?? realClock;
  const minInterval = options.minCallIntervalMs ?? 500;
  const [pollInitial, pollMax] = options.pollBackoffMs ?? [2000, 30_000];
  const [throttleInitial, throttleMax] = options.throttleBackoffMs ?? [1000, 8000];
  const maxPages = options.maxPages ?? 20;
  const start = clock.now();
  const deadline = start + options.waitMs;
  const progress: PollProgress = { elapsedMs: 0, lookups: 0, throttled: 0 };
  let lastCall = Number.NEGATIVE_INFINITY;
  const report = () => {
    progress.elapsedMs = clock.now() - start;
    options.onProgress?.({ ...progress });
  };

  const callPaced = async (nextToken: string | undefined): Promise<LookupPage> => {
    let throttleWait = throttleInitial;
    let retriesAfterDeadline = 0;
    for (;;) {
      const wait = lastCall + minInterval - clock.now();
      if (wait > 0) await clock.sleep(wait);
      lastCall = clock.now();
      progress.lookups++;
      try {
        const page = await options.lookup(options.since, nextToken);
        // The SDK retried (throttling, 5xx) before answering: count those as well.
        progress.throttled += Math.max(0, (page.attempts ?? 1) - 1);
        report();
        return page;
      } catch (error) {
        if (!isThrottling(error)) throw error;
        progress.throttled++;
        report();
        if (clock.now() >= deadline && ++retriesAfterDeadline > THROTTLE_RETRIES_AFTER_DEADLINE) {
          throw error;
        }
        await clock.sleep(throttleWait);
        throttleWait = Math.min(throttleWait * 2, throttleMax);
      }
    }
  };

  let pollWait = pollInitial;
  let events: TrailEvent[] = [];
  let truncated = false;
  for (;;) {
    // One complete lookup: every page since `since`, newest first.
    const seen = new Map<string, TrailEvent>();
    let nextToken: string | undefined;
    let pages = 0;
    try {
      do {
        const page = await callPaced(nextToken);
        for (const item of page.items) {
          const event = toTrailEvent(item);
          if (event && options.relevant(event)) seen.set(event.eventId || `${seen.size}`, event);
        }
        nextToken = page.nextToken;
        pages++;
      } while (nextToken && pages < maxPages);
    } catch (error) {
      return {
        ...progress,
        elapsedMs: clock.now() - start,
        events,
        found: false,
        error,
        truncated,
      };
    }
    truncated = nextToken !== undefined;
    events = [...seen.values()].sort((a, b) => b.time.localeCompare(a.time));
    if (options.done(events)) {
      return { ...progress, elapsedMs: clock.now() - start, events, found: true, truncated };
    }
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      return { ...progress, elapsedMs: clock.now() - start, events, found: false, truncated };
    }
    await clock.sleep(Math.min(pollWait, remaining));
    pollWait = Math.min(pollWait * 2, pollMax);
  }
}

// --- the check ----------------------------------------------------------------------------------

export const environmentOfSubject = (subject: string | null): string | undefined =>
  subject?.match(/:environment:([^:]+)$/)?.[1];

/** A failed event, explained by @repo/aws-auth's explainer with what the role expects. */
export function explainEvent(
  event: TrailEvent,
  roles: readonly StackRole[],
  config: Pick<InfraConfig, "subjects" | "audience">,
): ExplainedError {
  const role = roles.find((candidate) => candidate.arn === event.roleArn);
  return explainAwsError(
    { name: event.errorCode ?? "Error", message: event.errorMessage ?? event.errorCode ?? "" },
    {
      token: {
        sub: event.subject ?? undefined,
        aud: event.audience ?? "(not recorded)",
        expired: /expired/i.test(event.errorCode ?? ""),
      },
      expected: role
        ? { sub: config.subjects[role.environment], aud: config.audience }
        : { aud: config.audience },
    },
  );
}

export interface CloudTrailCheck {
  result: CheckResult;
  events: TrailEvent[];
  /** eventId → explanation, for failed events. */
  explanations: Map<string, ExplainedError>;
}

export function checkCloudTrail(
  poll: PollResult,
  context: {
    roles: readonly StackRole[];
    config: Pick<InfraConfig, "subjects" | "audience">;
    region: string;
    since: Date;
    waitMs: number;
    /** The local sandbox records an event the moment the exchange happens: waiting never helps. */
    eventsAtOnce?: boolean;
    /** Why the lookup failed, in words (from the fetching layer). */
    describeError?: (error: unknown) => string;
  },
): CloudTrailCheck {
  const name = "cloudtrail";
  const explanations = new Map<string, ExplainedError>();
  const failed = poll.events.filter((event) => event.errorCode !== null);
  for (const event of failed)
    explanations.set(event.eventId, explainEvent(event, context.roles, context.config));
  const throttled = poll.throttled > 0 ? `, throttled ${poll.throttled}× and retried` : "";
  const effort = `${poll.lookups} lookup${poll.lookups === 1 ? "" : "s"} in ${formatDuration(poll.elapsedMs)}${throttled}`;
  const window = `in ${context.region} since ${context.since.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
  const failures =
    failed.length > 0
      ? ` ${failed.length} failed: ${[...new Set(failed.map((e) => explanations.get(e.eventId)?.title ?? e.errorCode))].join("; ")}.`
      : "";

  if (poll.error !== undefined) {
    const why = context.describeError?.(poll.error) ?? String(poll.error);
    return {
      events: poll.events,
      explanations,
      result: { name, ok: false, detail: `CloudTrail LookupEvents failed: ${why}` },
    };
  }
  if (poll.found) {
    const latest = poll.events.find((event) => event.errorCode === null) as TrailEvent;
    const succeeded = poll.events.length - failed.length;
    return {
      events: poll.events,
      explanations,
      result: {
        name,
        ok: true,
        detail: `${succeeded} successful AssumeRoleWithWebIdentity ${window}; latest ${latest.time}, session ${latest.sessionName ?? "-"} as ${latest.subject ?? "-"} (${effort}).${failures}`,
      },
    };
  }
  const waited = context.waitMs > 0 ? `waited ${formatDuration(context.waitMs)}` : "looked once";
  // Unread pages may hold the event: a cut-off is "not known", never "no event".
  const detail = poll.truncated
    ? `CloudTrail has more events ${window} than verify reads (it stopped after its page limit, ${waited}; ${effort}), and none of those read is a successful AssumeRoleWithWebIdentity for the stack's roles: the event may be on a page not read. Run again with a later --since (e.g. --since 15m) so fewer events match.${failures}`
    : context.eventsAtOnce
      ? `No successful AssumeRoleWithWebIdentity for the stack's roles ${window} (${waited}; ${effort}).${failures} The sandbox records an exchange the moment it happens, so waiting does not help: make one — open the app (\`pnpm dev\`, then http://localhost:3000) or run again with --url http://localhost:3000.`
      : `No successful AssumeRoleWithWebIdentity for the stack's roles ${window} (${waited}; ${effort}).${failures} CloudTrail delivers events about 5 minutes after the call, not guaranteed: run again with --wait 10m, or with --url to make the app exchange a token first. If the app did run: its AWS_REGION must be ${context.region} (events are logged in the STS region) and its AWS_ROLE_ARN one of the stack's roles.`;
  return {
    events: poll.events,
    explanations,
    result: {
      name,
      ok: false,
      detail,
    },
  };
}
