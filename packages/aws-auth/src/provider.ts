import { fromIni, fromTokenFile, fromWebToken } from "@aws-sdk/credential-providers";
import { tokenForAudience } from "./audience";
import { ExplainedAwsError, type ExplainedError, explainAwsError } from "./explain";
import {
  LOCAL_REFRESH_BEFORE_EXPIRY_MS,
  mayRefreshLocally,
  refreshLocalVercelToken,
} from "./local-refresh";
import { type CredentialResolution, diagnose, type EnvLike, hasBlockingFindings } from "./mode";
import { isOidcTokenUnavailable, OidcTokenUnavailableError } from "./oidc-context";
import { readOidcToken, summarizeToken } from "./token";
import { type CredentialSchedule, checkedMargins, credentialSchedule } from "./validity";

// The SDK's identity types, derived from a provider so this package needs no extra type package.
export type AwsCredentialIdentity = Awaited<ReturnType<ReturnType<typeof fromIni>>>;
type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;
type StsClientConfig = NonNullable<Parameters<typeof fromWebToken>[0]["clientConfig"]>;

export interface ProviderStats {
  /** Credential fetches made (STS exchanges in the OIDC modes). */
  exchanges: number;
  expiration?: Date;
  /** The last failed refresh, explained; cleared by the next success. */
  lastError?: ExplainedError;
  /** Calls answered from the cache while a refresh ran in the background. */
  servedWhileRefreshing: number;
  /** The `exp` of the identity token the current credentials were exchanged with (OIDC modes). */
  tokenExpiration?: Date;
  /** Seconds the current credentials / that token have left, as of this `stats()` call. */
  credentialsSecondsLeft?: number;
  tokenSecondsLeft?: number;
  /** VERCEL_OIDC_AUDIENCE, when the token is exchanged for it before STS. */
  audience?: string;
  /** Token exchanges asked of @vercel/oidc (it answers a repeat of the same token from its cache). */
  audienceExchanges: number;
  /** Exchanges STS refused with Throttling (after the SDK's own retries). */
  throttled: number;
  /** When the current credentials start being refreshed, and until when they are handed out. */
  refreshAt?: Date;
  servedUntil?: Date;
}

export type SharedCredentialProvider = AwsCredentialIdentityProvider & {
  stats(): ProviderStats;
  /** Forgets the cached credentials; the next call fetches new ones. */
  invalidate(): void;
  /**
   * Until when these credentials (as this provider served them) are handed out: M before their
   * expiry (validity.ts). Anything signed ahead of time, like a presigned URL, ends by then.
   */
  servedUntil(credentials: AwsCredentialIdentity): Date | undefined;
};

export interface ProviderOptions {
  /** Clock, for tests and benchmarks that simulate hours. */
  now?: () => number;
  /** Waits `ms` on the same clock as `now` (the fleet benchmark compresses time). Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for each jitter draw (tests pin it). Default Math.random. */
  random?: () => number;
  /** R: start refreshing this long before expiry. Default 5 min (see validity.ts). */
  refreshBeforeExpiryMs?: number;
  /** J: each refresh starts up to this much earlier still, at random. Default 2.5 min. */
  refreshJitterMs?: number;
  /** M: stop handing credentials out this long before expiry; below R. Default 1 min. */
  servingMarginMs?: number;
  /** After a failed background refresh, wait about this long (doubling, jittered) before trying again. Default 10 s. */
  retryAfterFailureMs?: number;
  /**
   * How long a caller with no usable credentials keeps retrying an exchange that STS throttles
   * (after the SDK's own retries), backing off with jitter. Default 8 s.
   */
  throttleBudgetMs?: number;
  /** Requested session length in seconds (STS: 900 to the role's maximum). Default: the role's default. */
  durationSeconds?: number;
  /** How long one STS request may take before it is abandoned (and retried by the SDK). Default 5 s. */
  stsTimeoutMs?: number;
  /**
   * Replaces the STS client's HTTP handler (an object with `handle(request)`): benchmarks send
   * the exchanges to an in-process stand-in. Leave unset in apps.
   */
  stsRequestHandler?: StsClientConfig["requestHandler"];
  /** Where VERCEL_OIDC_TOKEN is read from when there is no request header. Default process.env. */
  env?: EnvLike;
  /** Replaces the SDK fetch entirely (benchmarks compare fetch strategies with it). */
  fetchCredentials?: () => Promise<AwsCredentialIdentity>;
}

// STS calls made while fetching credentials. The SDK default has no timeout at all, and its
// requestTimeout alone only logs a warning: without throwOnRequestTimeout a hung endpoint would
// hang every request. A few seconds is generous for STS.
const DEFAULT_STS_TIMEOUT_MS = 5_000;

interface FetchHooks {
  now: () => number;
  /** The token about to be exchanged, summarized (never kept). */
  tokenUsed(expiresAt: Date | undefined): void;
  /** A token exchange for the custom audience was asked for. */
  audienceExchanged(): void;
}

/** True when a JWT's `exp` is less than `withinMs` away (false for anything that is not a JWT). */
function expiresWithin(token: string, withinMs: number, now: number): boolean {
  try {
    const expiresAt = summarizeToken(token, now).expiresAt;
    return expiresAt !== undefined && Date.parse(expiresAt) - now < withinMs;
  } catch {
    return false;
  }
}

/**
 * The token of the request at hand, refused before it reaches STS when it is past its `exp`
 * (STS would answer ExpiredTokenException after a round trip; this says why, and where).
 */
function freshVercelToken(
  resolution: CredentialResolution,
  options: ProviderOptions,
  hooks: FetchHooks,
): string {
  const token = readOidcToken(resolution, options.env);
  let expiresAt: Date | undefined;
  try {
    const summary = summarizeToken(token, hooks.now());
    expiresAt = summary.expiresAt ? new Date(summary.expiresAt) : undefined;
    if (summary.expired) throw new OidcTokenUnavailableError("expired", summary.expiresAt);
  } catch (error) {
    // Not a JWT: let STS say so (InvalidIdentityToken is explained with the likely causes).
    if (error instanceof OidcTokenUnavailableError) throw error;
  }
  hooks.tokenUsed(expiresAt);
  return token;
}

function sdkFetcher(
  resolution: CredentialResolution,
  options: ProviderOptions,
  hooks: FetchHooks,
): () => Promise<AwsCredentialIdentity> {
  const clientConfig = {
    region: resolution.region,
    requestHandler: options.stsRequestHandler ?? {
      requestTimeout: options.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS,
      connectionTimeout: Math.min(3_000, options.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS),
      throwOnRequestTimeout: true,
    },
    ...(resolution.stsEndpoint ? { endpoint: resolution.stsEndpoint } : {}),
  };
  switch (resolution.mode) {
    case "vercel-oidc": {
      const exchange = (token: string) =>
        tokenForAudience(token, resolution.audience, hooks.audienceExchanged).then((exchanged) =>
          fromWebToken({
            roleArn: resolution.roleArn as string,
            webIdentityToken: exchanged,
            roleSessionName: resolution.sessionName,
            durationSeconds: options.durationSeconds,
            clientConfig,
          })(),
        );
      // Local development only (local-refresh.ts): a token from `vercel env pull` that has
      // expired, or is about to, is replaced through Vercel's helper; if that fails, the stale
      // token is explained as before.
      const refreshesLocally =
        !resolution.onVercel && mayRefreshLocally(options.env ?? process.env);
      const refreshed = (stale: string, staleError: unknown) =>
        refreshLocalVercelToken(stale).then(
          (token) => {
            const summary = summarizeToken(token, hooks.now());
            if (summary.expired) throw staleError;
            hooks.tokenUsed(summary.expiresAt ? new Date(summary.expiresAt) : undefined);
            return token;
          },
          () => {
            throw staleError;
          },
        );
      return () => {
        // Read synchronously, before the first await: the request header is only reachable from
        // inside the request that triggered this refresh. A fresh read per exchange also means a
        // new token is used as soon as Vercel issues one.
        let webIdentityToken: string;
        try {
          webIdentityToken = freshVercelToken(resolution, options, hooks);
        } catch (error) {
          if (refreshesLocally && isOidcTokenUnavailable(error) && error.reason === "expired") {
            return refreshed(readOidcToken(resolution, options.env), error).then(exchange);
          }
          return Promise.reject(error);
        }
        if (
          refreshesLocally &&
          expiresWithin(webIdentityToken, LOCAL_REFRESH_BEFORE_EXPIRY_MS, hooks.now())
        ) {
          // Still valid: if the refresh fails, use it while it lasts.
          return refreshed(webIdentityToken, undefined).then(exchange, () =>
            exchange(webIdentityToken),
          );
        }
        return exchange(webIdentityToken);
      };
    }
    case "web-identity-file":
      return () =>
        fromTokenFile({
          roleArn: resolution.roleArn,
          webIdentityTokenFile: resolution.tokenFile,
          roleSessionName: resolution.sessionName,
          durationSeconds: options.durationSeconds,
          clientConfig,
        })();
    case "profile":
      // A new fromIni per fetch re-reads ~/.aws, so `aws sso login` in another terminal is picked up.
      return () =>
        fromIni({
          profile: resolution.profile,
          filepath: resolution.profileFiles.credentials,
          configFilepath: resolution.profileFiles.config,
          clientConfig,
        })();
    case "none":
      return () =>
        Promise.reject(
          new ExplainedAwsError({
            code: "not-configured",
            title: "No AWS credentials are configured",
            cause: resolution.because.join(" "),
            fixes: resolution.findings.map((f) => f.fix),
          }),
        );
  }
}

// STS's own code for a request over the account's rate, and the names other AWS APIs and the
// SDK use for the same thing.
const THROTTLING_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
]);

export function isThrottlingError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const shape = error as { name?: string; code?: string; $retryable?: { throttling?: boolean } };
  return (
    THROTTLING_CODES.has(shape.name ?? "") ||
    THROTTLING_CODES.has(shape.code ?? "") ||
    shape.$retryable?.throttling === true
  );
}

// Backoff between the provider's own attempts at a throttled exchange: full jitter (a random
// wait up to an exponentially growing cap), so instances throttled together retry apart.
const THROTTLE_BACKOFF_BASE_MS = 250;
const THROTTLE_BACKOFF_CAP_MS = 4_000;
const DEFAULT_THROTTLE_BUDGET_MS = 8_000;
// A failed background refresh is retried after retryAfter × 2^(failures − 1), capped, and
// jittered between half and all of it.
const BACKGROUND_RETRY_CAP_MS = 120_000;

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    // Looked up at call time, so a replaced global timer (a compressed-time bench) applies too.
    globalThis.setTimeout(resolve, ms);
  });

/**
 * A credential provider meant to be shared by every AWS client of the process:
 * - concurrent first calls share one fetch;
 * - from `refreshAt` (R before expiry, jittered; validity.ts) it answers at once with the current
 *   credentials and refreshes in the background (one refresh at a time), so no request waits;
 * - if that refresh fails it keeps serving the still-valid credentials and tries again later,
 *   backing off with jitter;
 * - credentials are served until `servedUntil` (M before expiry); past it callers wait for a
 *   fetch, which retries throttling with jittered backoff within its budget, and a failure is
 *   thrown explained.
 * The SDK clients' own caches only avoid calls while > 5 min remain; this is what makes the whole
 * process do one exchange per lifetime.
 */
export function createCredentialProvider(
  resolution: CredentialResolution,
  options: ProviderOptions = {},
): SharedCredentialProvider {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const margins = checkedMargins({
    refreshBeforeExpiryMs: options.refreshBeforeExpiryMs,
    refreshJitterMs: options.refreshJitterMs,
    servingMarginMs: options.servingMarginMs,
  });
  const retryAfter = options.retryAfterFailureMs ?? 10_000;
  const throttleBudget = options.throttleBudgetMs ?? DEFAULT_THROTTLE_BUDGET_MS;
  const stats: ProviderStats = {
    exchanges: 0,
    servedWhileRefreshing: 0,
    audienceExchanges: 0,
    throttled: 0,
    ...(resolution.audience ? { audience: resolution.audience } : {}),
  };
  // The token of the exchange in flight; it becomes stats.tokenExpiration once that succeeds.
  let pendingTokenExpiration: Date | undefined;
  const fetchCredentials =
    options.fetchCredentials ??
    sdkFetcher(resolution, options, {
      now,
      tokenUsed: (expiresAt) => {
        pendingTokenExpiration = expiresAt;
      },
      audienceExchanged: () => {
        stats.audienceExchanges += 1;
      },
    });

  let current: AwsCredentialIdentity | undefined;
  let schedule: CredentialSchedule | undefined;
  const schedules = new WeakMap<AwsCredentialIdentity, CredentialSchedule>();
  let inflight: Promise<AwsCredentialIdentity> | undefined;
  let failuresInARow = 0;
  let nextAttemptAt = Number.NEGATIVE_INFINITY;

  // One exchange, with the SDK's retries inside; a throttled one is tried again after a jittered
  // backoff while the budget lasts.
  const fetchWithinBudget = async (): Promise<AwsCredentialIdentity> => {
    const deadline = now() + throttleBudget;
    for (let attempt = 0; ; attempt += 1) {
      stats.exchanges += 1;
      try {
        return await fetchCredentials();
      } catch (error) {
        if (!isThrottlingError(error)) throw error;
        stats.throttled += 1;
        const wait =
          random() * Math.min(THROTTLE_BACKOFF_CAP_MS, THROTTLE_BACKOFF_BASE_MS * 2 ** attempt);
        if (now() + wait >= deadline) throw error;
        await sleep(wait);
      }
    }
  };

  const refresh = (): Promise<AwsCredentialIdentity> => {
    if (inflight) return inflight;
    const started = now();
    pendingTokenExpiration = undefined;
    inflight = fetchWithinBudget().then(
      (credentials) => {
        current = credentials;
        const expiresAt = credentials.expiration?.getTime();
        schedule =
          expiresAt === undefined
            ? undefined
            : credentialSchedule(started, expiresAt, random(), margins);
        if (schedule) schedules.set(credentials, schedule);
        stats.expiration = credentials.expiration;
        stats.refreshAt = schedule && new Date(schedule.refreshAt);
        stats.servedUntil = schedule && new Date(schedule.servedUntil);
        stats.tokenExpiration = pendingTokenExpiration;
        stats.lastError = undefined;
        failuresInARow = 0;
        nextAttemptAt = Number.NEGATIVE_INFINITY;
        inflight = undefined;
        return credentials;
      },
      (error: unknown) => {
        failuresInARow += 1;
        const backoff = Math.min(BACKGROUND_RETRY_CAP_MS, retryAfter * 2 ** (failuresInARow - 1));
        nextAttemptAt = now() + backoff * (0.5 + random() / 2);
        inflight = undefined;
        const explained = explainAwsError(error, { resolution, env: options.env });
        stats.lastError = explained;
        throw new ExplainedAwsError(explained, { cause: error });
      },
    );
    return inflight;
  };

  const provider = (async () => {
    const at = now();
    if (current && !schedule) return current; // long-lived profile credentials
    if (current && schedule && at < schedule.servedUntil) {
      if (at < schedule.refreshAt) return current;
      // Due for refresh: serve what we have, refresh behind it.
      if (!inflight && at >= nextAttemptAt) {
        refresh().catch(() => {
          // Kept in stats.lastError; the valid credentials keep being served until servedUntil.
        });
      }
      stats.servedWhileRefreshing += 1;
      return current;
    }
    return refresh();
  }) as SharedCredentialProvider;

  provider.stats = () => {
    const at = now();
    const left = (date: Date | undefined) =>
      date ? Math.max(0, Math.floor((date.getTime() - at) / 1000)) : undefined;
    return {
      ...stats,
      credentialsSecondsLeft: left(stats.expiration),
      tokenSecondsLeft: left(stats.tokenExpiration),
    };
  };
  provider.servedUntil = (credentials) => {
    const known = schedules.get(credentials)?.servedUntil;
    if (known !== undefined) return new Date(known);
    const expiresAt = credentials.expiration?.getTime();
    // Not from this provider: the full margin, since its lifetime is unknown.
    return expiresAt === undefined ? undefined : new Date(expiresAt - margins.servingMarginMs);
  };
  provider.invalidate = () => {
    current = undefined;
    schedule = undefined;
    failuresInARow = 0;
    nextAttemptAt = Number.NEGATIVE_INFINITY;
  };
  return provider;
}

interface ProcessProviderSlot {
  key: string;
  provider: SharedCredentialProvider;
  resolution: CredentialResolution;
}

// Kept on globalThis so that module reloads (next dev, tests importing twice) reuse one provider.
const SLOT = Symbol.for("keyless.aws-auth.provider");
type GlobalWithSlot = typeof globalThis & { [SLOT]?: ProcessProviderSlot };

function slotKey(r: CredentialResolution): string {
  return JSON.stringify([
    r.mode,
    r.roleArn,
    r.tokenFile,
    r.profile,
    r.region,
    r.endpoint,
    r.audience,
  ]);
}

/**
 * The provider for this process, with the resolution it was made from. Decides the mode once per
 * distinct configuration and keeps one provider for it. Throws an explained error when nothing
 * usable is configured.
 */
export function processCredentials(
  env: EnvLike = process.env,
  options?: ProviderOptions,
): { provider: SharedCredentialProvider; resolution: CredentialResolution } {
  const resolution = resolveForProvider(env);
  const key = slotKey(resolution);
  const g = globalThis as GlobalWithSlot;
  const existing = g[SLOT];
  if (existing?.key === key) return existing;
  const provider = createCredentialProvider(resolution, { env, ...options });
  const slot = { key, provider, resolution };
  g[SLOT] = slot;
  return slot;
}

/** The process's shared credential provider (see `processCredentials`). */
export function getCredentialProvider(
  env: EnvLike = process.env,
  options?: ProviderOptions,
): SharedCredentialProvider {
  return processCredentials(env, options).provider;
}

/** Drops the process provider (tests, or after the environment changed on purpose). */
export function resetCredentialProvider(): void {
  delete (globalThis as GlobalWithSlot)[SLOT];
}

/** Decides the mode and refuses configurations that cannot work, with the findings as the fix. */
export function resolveForProvider(env: EnvLike = process.env): CredentialResolution {
  const resolution = diagnose(env);
  if (resolution.mode === "none" || hasBlockingFindings(resolution)) {
    const errors = resolution.findings.filter((f) => f.severity === "error");
    throw new ExplainedAwsError({
      code:
        resolution.mode === "none" && errors.length === 0 ? "not-configured" : "bad-configuration",
      title:
        resolution.mode === "none" && errors.length === 0
          ? "No AWS credentials are configured"
          : "The AWS configuration cannot work",
      cause: [...resolution.because, ...errors.map((f) => f.message)].join(" "),
      fixes: (errors.length ? errors : resolution.findings).map((f) => f.fix),
    });
  }
  return resolution;
}
