// Limits the server code and its tests share. No "server-only" here: the browser tests read them.

/**
 * How often /api/health asks STS: it stays live (an outage or a revoked role shows within this)
 * while anonymous hits, however many, cost at most one STS call per interval per instance. Also how
 * long a failed answer is reused, on the page too.
 */
export const STS_CHECK_INTERVAL_MS = 10_000;
