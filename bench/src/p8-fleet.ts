import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { fromWebToken } from "@aws-sdk/credential-providers";
import { diagnose } from "@repo/aws-auth/mode";
import { createCredentialProvider, type ProviderOptions } from "@repo/aws-auth/provider";
import { awsCredentialsProvider } from "@vercel/oidc-aws-credentials-provider";
import { type CompressedTime, installCompressedTime } from "./lib/compressed-time";
import { startStsQuota } from "./lib/sts-quota";
import { mintBenchToken } from "./lib/token";

/**
 * P8 — a fleet of function instances sharing one account's STS quota, on compressed time.
 *
 * Each instance runs the real credential code of its strategy — our provider, the SDK's
 * `fromWebToken` per request, `@vercel/oidc-aws-credentials-provider` or `fromWebToken` in
 * module-scope clients (the SDK's own caching) — for an S3 and an STS client, and every exchange
 * goes through the SDK's STS client (query protocol, retries with its backoff) to an in-process
 * STS that enforces the quota as a token bucket. Clock and timers are compressed
 * (compressed-time.ts): the SDK's backoff, our jitter and the stand-in's latency all run on the
 * same simulated clock, so every latency here is simulated time, not this machine's.
 *
 * Two scenarios:
 * - storm: N instances start at random within T seconds (a deploy or a spike); each serves a
 *   request when it starts and one every `requestEveryMs` after, until T + `requestEveryMs`.
 * - refresh: the same fleet an hour later, when its credentials come due together: requests
 *   every `requestEveryMs` from before the earliest refresh to after expiry.
 */

// AWS's default STS request rate per account and Region (see docs/at-scale.md for the source).
export const DEFAULT_STS_QUOTA_PER_SECOND = 600;
const ROLE_ARN = "arn:aws:iam::123456789012:role/KeylessFleet";
const REGION = "us-east-1";
const SESSION = "keyless-fleet";

export const FLEET_STRATEGIES = [
  "ours",
  "ours-no-jitter",
  "per-request",
  "vercel-provider",
  "sdk-cache",
] as const;
export type FleetStrategy = (typeof FLEET_STRATEGIES)[number];

export const FLEET_LABELS: Record<FleetStrategy, string> = {
  ours: "ours (@repo/aws-auth)",
  "ours-no-jitter": "ours, refresh jitter off",
  "per-request": "(a) fromWebToken per request",
  "vercel-provider": "(b) @vercel/oidc-aws-credentials-provider",
  "sdk-cache": "(c) fromWebToken, SDK's own caching",
};

export interface FleetRun {
  scenario: "storm" | "refresh";
  strategy: FleetStrategy;
  instances: number;
  stormSeconds: number;
  requests: number;
  failedRequests: number;
  /** Requests whose credentials took longer than 1 s (simulated). */
  slowRequests: number;
  maxWaitMs: number;
  stsCalls: number;
  throttledCalls: number;
  peakCallsPerSecond: number;
  /** Instances started before STS first throttled (all of them when it never did). */
  startedBeforeFirstThrottle: number;
  firstError?: string;
  /** Real seconds the simulation took on this machine. */
  realSeconds: number;
}

export interface P8Options {
  instances: number[];
  stormSeconds: number;
  quotaPerSecond: number;
  lifetimeSeconds: number;
  requestEveryMs: number;
  strategies: FleetStrategy[];
  scenarios: FleetRun["scenario"][];
  /** Seed for start times and jitter draws: the same seed, the same run. */
  seed: number;
  /** Passed to our provider (tests turn its backoff off with `throttleBudgetMs: 0`). */
  providerOptions?: Pick<ProviderOptions, "throttleBudgetMs" | "refreshJitterMs">;
}

export const P8_DEFAULTS: P8Options = {
  instances: [10, 100, 1_000, 10_000],
  stormSeconds: 10,
  quotaPerSecond: DEFAULT_STS_QUOTA_PER_SECOND,
  lifetimeSeconds: 3600,
  requestEveryMs: 5_000,
  strategies: [...FLEET_STRATEGIES],
  scenarios: ["storm", "refresh"],
  seed: 8,
};

/** A small seeded generator (mulberry32): runs repeat exactly, which Math.random cannot give. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Credentials = () => Promise<unknown>;

/** What one instance resolves per request: the credentials of its S3 and its STS client. */
function instanceCredentials(
  strategy: FleetStrategy,
  handler: unknown,
  token: string,
  time: Pick<CompressedTime, "now" | "sleep">,
  random: () => number,
  providerOptions: P8Options["providerOptions"] = {},
): () => Credentials[] {
  const clientConfig = { region: REGION, requestHandler: handler as never };
  const webToken = () =>
    fromWebToken({
      roleArn: ROLE_ARN,
      webIdentityToken: token,
      roleSessionName: SESSION,
      clientConfig,
    });
  // The memoized providers an S3 and an STS client build around their `credentials` (what their
  // signers call).
  const memoized = (forS3: Credentials, forSts: Credentials): Credentials[] => {
    const s3 = new S3Client({ region: REGION, credentials: forS3 as never });
    const sts = new STSClient({ region: REGION, credentials: forSts as never });
    const pair = [s3.config.credentials as Credentials, sts.config.credentials as Credentials];
    s3.destroy();
    sts.destroy();
    return pair;
  };
  switch (strategy) {
    case "ours":
    case "ours-no-jitter": {
      const env = {
        AWS_REGION: REGION,
        AWS_ROLE_ARN: ROLE_ARN,
        AWS_ROLE_SESSION_NAME: SESSION,
        VERCEL_OIDC_TOKEN: token,
      };
      const provider = createCredentialProvider(diagnose(env), {
        env,
        now: time.now,
        sleep: time.sleep,
        random,
        stsRequestHandler: handler as never,
        ...providerOptions,
        ...(strategy === "ours-no-jitter" ? { refreshJitterMs: 0 } : {}),
      });
      // Both clients share the one provider.
      return () => [provider, provider];
    }
    case "per-request":
      return () => [webToken(), webToken()];
    case "sdk-cache": {
      const pair = memoized(webToken(), webToken());
      return () => pair;
    }
    case "vercel-provider": {
      const make = () =>
        awsCredentialsProvider({ roleArn: ROLE_ARN, roleSessionName: SESSION, clientConfig });
      const pair = memoized(make(), make());
      return () => pair;
    }
  }
}

async function runFleet(
  scenario: FleetRun["scenario"],
  strategy: FleetStrategy,
  instances: number,
  options: P8Options,
  token: string,
): Promise<FleetRun> {
  const started = performance.now();
  const random = seeded(options.seed);
  const time = installCompressedTime(Date.now());
  const origin = time.now();
  const sts = startStsQuota({
    now: time.now,
    sleep: time.sleep,
    ratePerSecond: options.quotaPerSecond,
    lifetimeSeconds: options.lifetimeSeconds,
  });
  const run: FleetRun = {
    scenario,
    strategy,
    instances,
    stormSeconds: options.stormSeconds,
    requests: 0,
    failedRequests: 0,
    slowRequests: 0,
    maxWaitMs: 0,
    stsCalls: 0,
    throttledCalls: 0,
    peakCallsPerSecond: 0,
    startedBeforeFirstThrottle: instances,
    realSeconds: 0,
  };
  let counting = scenario === "storm";
  const request = async (credentials: Credentials[]) => {
    const at = time.now();
    try {
      for (const resolve of credentials) await resolve();
    } catch (error) {
      if (counting) {
        run.failedRequests += 1;
        run.firstError ??= error instanceof Error ? error.message.split("\n")[0] : String(error);
      }
    }
    if (!counting) return;
    const waited = time.now() - at;
    run.requests += 1;
    if (waited > 1_000) run.slowRequests += 1;
    run.maxWaitMs = Math.max(run.maxWaitMs, waited);
  };
  try {
    const startTimes = Array.from(
      { length: instances },
      () => random() * options.stormSeconds * 1000,
    )
      .sort((a, b) => a - b)
      .map((offset) => origin + offset);
    const fleet = startTimes.map(() =>
      instanceCredentials(strategy, sts.handler, token, time, random, options.providerOptions),
    );
    // Traffic: each instance's requests, every requestEveryMs from its start, within [from, to).
    const serve = (from: number, to: number) => {
      fleet.forEach((credentials, i) => {
        const first = startTimes[i] as number;
        const phase = (from - first) % options.requestEveryMs;
        let next =
          from <= first ? first : from + (phase === 0 ? 0 : options.requestEveryMs - phase);
        const tick = () => {
          void request(credentials());
          next += options.requestEveryMs;
          if (next < to) setTimeout(tick, next - time.now());
        };
        if (next < to) setTimeout(tick, next - time.now());
      });
    };
    const stormEnd = origin + options.stormSeconds * 1000 + options.requestEveryMs;
    serve(origin, stormEnd);
    await time.runUntil(stormEnd + 60_000); // let retries and stragglers finish
    if (scenario === "refresh") {
      // An hour on, nothing happens but cache hits; jump to just before the earliest refresh
      // (expiry − R − J) and count from there.
      const expiry = origin + options.lifetimeSeconds * 1000;
      const from = expiry - 8 * 60_000;
      time.skipTo(from - 1);
      counting = true;
      serve(from, expiry + 60_000);
      await time.runUntil(expiry + 120_000);
      const window = sts.between(from - 1_000, expiry + 120_000);
      run.stsCalls = window.calls;
      run.throttledCalls = window.throttled;
      run.peakCallsPerSecond = window.peakCallsPerSecond;
    } else {
      const stats = sts.stats();
      run.stsCalls = stats.calls;
      run.throttledCalls = stats.throttled;
      run.peakCallsPerSecond = stats.peakCallsPerSecond;
      if (stats.firstThrottleAt !== undefined) {
        const first = stats.firstThrottleAt;
        run.startedBeforeFirstThrottle = startTimes.filter((t) => t < first).length;
      }
    }
  } finally {
    time.restore();
  }
  run.realSeconds = (performance.now() - started) / 1000;
  return run;
}

async function warmUp(strategy: FleetStrategy, token: string): Promise<void> {
  const realTime = {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  const sts = startStsQuota({ ...realTime, ratePerSecond: 100, lifetimeSeconds: 3600 });
  const credentials = instanceCredentials(strategy, sts.handler, token, realTime, Math.random);
  for (const resolve of credentials()) await resolve();
}

export interface P8Result {
  options: P8Options;
  runs: FleetRun[];
}

export async function runP8(overrides: Partial<P8Options> = {}): Promise<P8Result> {
  const options = { ...P8_DEFAULTS, ...overrides };
  // The token outlives the simulated span (an hour and a bit) by far, on the real clock too.
  const token = await mintBenchToken(24 * 3600);
  const previousToken = process.env.VERCEL_OIDC_TOKEN;
  // @vercel/oidc reads it from here outside a request.
  process.env.VERCEL_OIDC_TOKEN = token;
  const runs: FleetRun[] = [];
  try {
    // The SDK loads parts of itself on first use (dynamic imports: real file reads). Done under
    // compressed time, the clock would run on while a file is read; so each strategy's code
    // runs once first, on the real clock.
    for (const strategy of options.strategies) await warmUp(strategy, token);
    for (const scenario of options.scenarios) {
      for (const instances of options.instances) {
        for (const strategy of options.strategies) {
          if (scenario === "refresh" && strategy === "per-request") continue; // no cache to refresh
          if (scenario === "storm" && strategy === "ours-no-jitter") continue; // same as ours cold
          runs.push(await runFleet(scenario, strategy, instances, options, token));
        }
      }
    }
  } finally {
    if (previousToken === undefined) delete process.env.VERCEL_OIDC_TOKEN;
    else process.env.VERCEL_OIDC_TOKEN = previousToken;
  }
  return { options, runs };
}
