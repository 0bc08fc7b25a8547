/**
 * When a set of temporary credentials is fresh, due for refresh, and no longer to be used —
 * defined once, for the provider (when to refresh, until when to serve) and for anything that
 * signs ahead of time (a presigned URL must not outlive what the provider would still serve).
 *
 *   issued ────────────── refreshAt ─────────── servedUntil ── expiresAt
 *                           │◄ jitter ►│◄──── R ─────────────────────►│
 *                                                   │◄──── M ────────►│
 *
 * - R (refresh before expiry): a refresh starts R before expiry, plus a random part of the jitter
 *   J, so a fleet of instances that fetched together does not refresh together.
 * - M (serving margin): credentials are handed out until M before expiry, never to the last
 *   second: a request signed at the edge would reach AWS expired (clock skew, queueing).
 * Short-lived credentials (tests, benchmarks) scale the margins down so that M < R < lifetime.
 */
export interface CredentialMargins {
  /** R. Default 5 min. */
  refreshBeforeExpiryMs: number;
  /** J: the refresh starts up to this much earlier than R, at random. Default 2.5 min. */
  refreshJitterMs: number;
  /** M. Default 1 min; always below R. */
  servingMarginMs: number;
}

export const DEFAULT_MARGINS: CredentialMargins = {
  refreshBeforeExpiryMs: 5 * 60_000,
  refreshJitterMs: 150_000,
  servingMarginMs: 60_000,
};

export interface CredentialSchedule {
  /** From here a call starts a refresh in the background and keeps getting these credentials. */
  refreshAt: number;
  /** From here (to expiry) these credentials are no longer handed out: callers wait for new ones. */
  servedUntil: number;
}

/** The margins that apply to credentials of `lifetimeMs` (scaled down for short lifetimes). */
export function effectiveMargins(
  lifetimeMs: number,
  margins: CredentialMargins = DEFAULT_MARGINS,
): CredentialMargins {
  const lifetime = Math.max(0, lifetimeMs);
  const refreshBeforeExpiryMs = Math.min(margins.refreshBeforeExpiryMs, lifetime / 2);
  return {
    refreshBeforeExpiryMs,
    refreshJitterMs: Math.min(margins.refreshJitterMs, refreshBeforeExpiryMs / 2),
    servingMarginMs: Math.min(margins.servingMarginMs, refreshBeforeExpiryMs / 4),
  };
}

/**
 * The schedule of credentials issued at `issuedAt` that expire at `expiresAt`; `draw` is a
 * number in [0, 1) picking where in the jitter this instance's refresh falls.
 */
export function credentialSchedule(
  issuedAt: number,
  expiresAt: number,
  draw: number,
  margins: CredentialMargins = DEFAULT_MARGINS,
): CredentialSchedule {
  const m = effectiveMargins(expiresAt - issuedAt, margins);
  return {
    refreshAt: expiresAt - m.refreshBeforeExpiryMs - draw * m.refreshJitterMs,
    servedUntil: expiresAt - m.servingMarginMs,
  };
}

/** Margins as given, checked: each a finite number ≥ 0, and M < R. */
export function checkedMargins(partial: Partial<CredentialMargins>): CredentialMargins {
  const margins = { ...DEFAULT_MARGINS, ...withoutUndefined(partial) };
  for (const [name, value] of Object.entries(margins)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${name} must be a number of milliseconds ≥ 0, got ${value}`);
    }
  }
  if (margins.servingMarginMs >= margins.refreshBeforeExpiryMs) {
    throw new RangeError(
      `servingMarginMs (${margins.servingMarginMs}) must be below refreshBeforeExpiryMs (${margins.refreshBeforeExpiryMs}): credentials must be refreshed before they stop being served`,
    );
  }
  return margins;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
