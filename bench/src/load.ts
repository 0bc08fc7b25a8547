import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { awsClientConfig, s3ClientConfig } from "@repo/aws-auth/client-config";
import { resetCredentialProvider } from "@repo/aws-auth/provider";
import { appCall, settle } from "./lib/calls";
import { CredentialLedger, startFakeAws, startLifetimeProxy } from "./lib/fake-aws";
import { percentile } from "./lib/stats";
import { oursEnv } from "./lib/strategies";

/**
 * Load: `rate` requests/s for `seconds` through our provider and two module-scope clients
 * (S3 + STS), with credentials that live `lifetimeSeconds`.
 * - Every exchange is real: token verified and trust evaluated by the sandbox gateway, credentials
 *   issued by moto; a proxy we control cuts their Expiration to the short lifetime (STS will not
 *   issue less than 15 minutes) and counts the exchanges.
 * - The calls themselves go to the local AWS double, which refuses anything signed with expired
 *   or unknown credentials: moto answers ~100 requests/s on this machine, the double thousands,
 *   so the run measures the credential path and not the emulator.
 * Calls are fired open-loop (on schedule, not after the previous one returns). The clients keep
 * the SDK's default of no request timeout: on a saturated 2-core machine calls queue for seconds,
 * and that is the machine, not the credential path (p99 latency shows it).
 */
export interface LoadResult {
  rate: number;
  seconds: number;
  lifetimeSeconds: number;
  requests: number;
  failures: number;
  firstFailure?: string;
  exchanges: number;
  /** Calls signed with already-expired credentials (the double refuses them): must be 0. */
  signedExpired: number;
  /** Calls valid when signed that arrived after their credentials expired (queueing). */
  lateArrivals: number;
  /** Distinct credentials that signed the calls: the lifetimes the run spanned. */
  lifetimes: number;
  p50Ms: number;
  p99Ms: number;
  achievedRate: number;
}

export interface LoadTarget {
  /** The sandbox gateway (its STS decides every exchange). */
  endpoint: string;
  region: string;
  roleArn: string;
  /** A production token from the sandbox issuer, handed over as VERCEL_OIDC_TOKEN. */
  token: string;
}

export async function runLoad(
  target: LoadTarget,
  options: { rate: number; seconds: number; lifetimeSeconds: number },
): Promise<LoadResult> {
  const clock = { now: () => Date.now() };
  const ledger = new CredentialLedger();
  const data = await startFakeAws({ clock, ledger });
  const proxy = await startLifetimeProxy({
    target: target.endpoint,
    lifetimeMs: options.lifetimeSeconds * 1000,
    ledger,
    clock,
  });
  resetCredentialProvider();
  const env = oursEnv({
    region: target.region,
    endpoint: data.endpoint,
    stsEndpoint: proxy.endpoint,
    roleArn: target.roleArn,
    token: target.token,
  });
  const config = awsClientConfig(env);
  // A server at this rate needs more than the SDK's default 50 sockets per client.
  const requestHandler = { httpAgent: { keepAlive: true, maxSockets: 256 } };
  const clients = {
    s3: new S3Client({ ...s3ClientConfig(env), requestHandler }),
    sts: new STSClient({ ...config, requestHandler }),
  };

  const total = options.rate * options.seconds;
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const inFlight: Promise<void>[] = [];
  const tickMs = 50;
  const perTick = (options.rate * tickMs) / 1000;
  const started = performance.now();
  try {
    for (let fired = 0; fired < total; ) {
      // Catch up to the schedule: a late timer fires the calls it owes.
      const due = Math.min(
        total,
        Math.floor(((performance.now() - started) / tickMs + 1) * perTick),
      );
      for (; fired < due; fired++) {
        const index = fired;
        const callStarted = performance.now();
        inFlight.push(
          settle(appCall(clients, index)).then((result) => {
            latencies.push(performance.now() - callStarted);
            if (!result.ok) {
              failures++;
              firstFailure ??= result.error;
            }
          }),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    await Promise.all(inFlight);
  } finally {
    clients.s3.destroy();
    clients.sts.destroy();
    resetCredentialProvider();
    await proxy.close();
    await data.close();
  }
  const elapsed = (performance.now() - started) / 1000;
  const dataStats = data.stats();
  return {
    rate: options.rate,
    seconds: options.seconds,
    lifetimeSeconds: options.lifetimeSeconds,
    requests: total,
    failures,
    ...(firstFailure ? { firstFailure } : {}),
    exchanges: proxy.exchanges(),
    signedExpired: dataStats.refused,
    lateArrivals: dataStats.lateArrivals,
    lifetimes: dataStats.credentialsUsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    achievedRate: total / elapsed,
  };
}
