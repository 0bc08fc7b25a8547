import { assumeRoleXml, CredentialLedger, stsErrorXml } from "./fake-aws";

/**
 * An in-process STS for the fleet benchmark (P8): an HTTP handler the SDK's STS clients use in
 * place of the network (`requestHandler`), so every exchange goes through the real SDK (query
 * protocol, XML parsing, its retry strategy) on compressed time. It answers
 * AssumeRoleWithWebIdentity after `latencyMs`, within the account's request quota — a token
 * bucket, the model AWS describes for STS throttling: `ratePerSecond` tokens a second, holding at
 * most `burst` — and `Throttling: Rate exceeded` (HTTP 400, STS's own error shape) beyond it.
 */
export interface StsQuotaOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  ratePerSecond: number;
  /** Tokens the bucket holds when full. Default: one second's worth. */
  burst?: number;
  latencyMs?: number;
  lifetimeSeconds: number;
}

export interface StsQuotaStats {
  /** Every AssumeRoleWithWebIdentity call, answered or throttled. */
  calls: number;
  throttled: number;
  /** The most calls that arrived within one second (whole seconds of the clock). */
  peakCallsPerSecond: number;
  peakThrottledPerSecond: number;
  firstThrottleAt?: number;
}

interface SdkRequest {
  body?: unknown;
}

const textEncoder = new TextEncoder();

export function startStsQuota(options: StsQuotaOptions) {
  const burst = options.burst ?? options.ratePerSecond;
  const latency = options.latencyMs ?? 20;
  const ledger = new CredentialLedger();
  let tokens = burst;
  let filledAt = options.now();
  const perSecond = new Map<number, { calls: number; throttled: number }>();
  const stats: StsQuotaStats = {
    calls: 0,
    throttled: 0,
    peakCallsPerSecond: 0,
    peakThrottledPerSecond: 0,
  };

  const take = (): boolean => {
    const at = options.now();
    tokens = Math.min(burst, tokens + ((at - filledAt) / 1000) * options.ratePerSecond);
    filledAt = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const respond = (status: number, xml: string) => ({
    response: {
      statusCode: status,
      headers: { "content-type": "text/xml", "x-amzn-requestid": "p8" },
      body: textEncoder.encode(xml),
    },
  });

  const handler = {
    async handle(request: SdkRequest) {
      const form = new URLSearchParams(String(request.body ?? ""));
      if (form.get("Action") !== "AssumeRoleWithWebIdentity") {
        return respond(400, stsErrorXml("InvalidAction", "Only AssumeRoleWithWebIdentity here"));
      }
      // The quota is spent on arrival; the answer comes after the round trip.
      const second = Math.floor(options.now() / 1000);
      const bucket = perSecond.get(second) ?? { calls: 0, throttled: 0 };
      perSecond.set(second, bucket);
      stats.calls += 1;
      bucket.calls += 1;
      stats.peakCallsPerSecond = Math.max(stats.peakCallsPerSecond, bucket.calls);
      const allowed = take();
      if (!allowed) {
        stats.throttled += 1;
        bucket.throttled += 1;
        stats.peakThrottledPerSecond = Math.max(stats.peakThrottledPerSecond, bucket.throttled);
        stats.firstThrottleAt ??= options.now();
      }
      await options.sleep(latency);
      if (!allowed) return respond(400, stsErrorXml("Throttling", "Rate exceeded"));
      const issued = ledger.issue(options.now() + options.lifetimeSeconds * 1000);
      return respond(200, assumeRoleXml(issued));
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };

  /** Calls, throttles and the busiest second among the seconds that start in [from, to). */
  const between = (from: number, to: number) => {
    const result = { calls: 0, throttled: 0, peakCallsPerSecond: 0 };
    for (const [second, bucket] of perSecond) {
      if (second * 1000 < from || second * 1000 >= to) continue;
      result.calls += bucket.calls;
      result.throttled += bucket.throttled;
      result.peakCallsPerSecond = Math.max(result.peakCallsPerSecond, bucket.calls);
    }
    return result;
  };

  return { handler, stats: (): StsQuotaStats => ({ ...stats }), between };
}
