/**
 * A clock that runs ahead of real time by an offset the benchmark controls, installed as the
 * process's `Date` so that the AWS SDK's own credential caches (which read `Date.now()`) see the
 * same simulated hours as our provider. Real time keeps flowing underneath; timers are untouched.
 *
 * Why a hand-written `Date` swap instead of fake timers: the benchmarks do real network I/O, which
 * fake timers would freeze; only the wall clock needs to jump.
 */
export interface SimulatedClock {
  now(): number;
  advance(ms: number): void;
  /** Puts the real `Date` back. */
  restore(): void;
}

const RealDate = globalThis.Date;

export function installSimulatedClock(): SimulatedClock {
  let offset = 0;
  const now = () => RealDate.now() + offset;
  // A subclass keeps instanceof, parsing and every method of the real Date.
  class SimulatedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return now();
    }
  }
  globalThis.Date = SimulatedDate as DateConstructor;
  return {
    now,
    advance(ms) {
      offset += ms;
    },
    restore() {
      globalThis.Date = RealDate;
    },
  };
}

/** The real wall clock, for code that must not be fooled by an installed simulated clock. */
export const realNow = (): number => RealDate.now();
