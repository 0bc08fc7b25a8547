/**
 * Compressed time for the fleet benchmark (P8): one clock and one scheduler that every party runs
 * on — our provider, the AWS SDK (its retry backoff calls the global `setTimeout`, its credential
 * caches read `Date.now()`), the STS stand-in's latency and the simulated traffic. Installed as
 * the process's `Date`, `setTimeout` and `clearTimeout`; `runUntil` fires the timers in time
 * order, jumping the clock from one to the next, and lets each one's promise chains settle before
 * the next. Nothing may do real I/O while it is installed (the STS stand-in is in-process).
 *
 * Why not @sinonjs/fake-timers: it scans every pending timer to find the next one, so a fleet of
 * 10,000 instances (10,000 pending timers, a million firings) would take hours; this keeps the
 * timers in a binary heap.
 */
export interface CompressedTime {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Fires every timer due up to `time`, in order; the clock ends at `time`. */
  runUntil(time: number): Promise<void>;
  /** Moves the clock forward with no timer due in between (throws if one is). */
  skipTo(time: number): void;
  /** Timers fired so far. */
  fired(): number;
  /** Puts the real `Date`, `setTimeout` and `clearTimeout` back. */
  restore(): void;
}

interface Timer {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

const RealDate = globalThis.Date;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;

// Earlier `at` first; equal times in the order they were set.
const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

class TimerHeap {
  readonly #items: Timer[] = [];
  get size() {
    return this.#items.length;
  }
  peek(): Timer | undefined {
    return this.#items[0];
  }
  push(timer: Timer) {
    const items = this.#items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as Timer, items[parent] as Timer)) break;
      [items[i], items[parent]] = [items[parent] as Timer, items[i] as Timer];
      i = parent;
    }
  }
  pop(): Timer | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && before(items[left] as Timer, items[smallest] as Timer))
          smallest = left;
        if (right < items.length && before(items[right] as Timer, items[smallest] as Timer))
          smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest] as Timer, items[i] as Timer];
        i = smallest;
      }
    }
    return top;
  }
}

// What setTimeout returns: Node code may call unref/ref/hasRef on it or coerce it to a number.
class FakeTimeout {
  constructor(readonly timer: Timer) {}
  unref() {
    return this;
  }
  ref() {
    return this;
  }
  hasRef() {
    return true;
  }
  [Symbol.toPrimitive]() {
    return this.timer.seq;
  }
}

export function installCompressedTime(start: number): CompressedTime {
  let clock = start;
  let seq = 0;
  let fired = 0;
  const heap = new TimerHeap();
  const now = () => clock;

  class CompressedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return clock;
    }
  }

  const fakeSetTimeout = (callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const timer: Timer = {
      at: clock + Math.max(0, Number(ms) || 0),
      seq: seq++,
      run: () => callback(...args),
      cancelled: false,
    };
    heap.push(timer);
    return new FakeTimeout(timer);
  };
  const fakeClearTimeout = (handle: unknown) => {
    if (handle instanceof FakeTimeout) handle.timer.cancelled = true;
  };

  globalThis.Date = CompressedDate as DateConstructor;
  globalThis.setTimeout = fakeSetTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = fakeClearTimeout as typeof clearTimeout;

  // Every promise continuation queued by a timer runs before the next timer: a macrotask of the
  // real loop comes after the whole microtask queue.
  const settle = () => new Promise<void>((resolve) => realSetImmediate(resolve));

  return {
    now,
    sleep: (ms) => new Promise<void>((resolve) => fakeSetTimeout(() => resolve(), ms)),
    async runUntil(time) {
      for (;;) {
        const next = heap.peek();
        if (!next || next.at > time) break;
        heap.pop();
        if (next.cancelled) continue;
        clock = next.at;
        fired += 1;
        next.run();
        await settle();
      }
      await settle();
      clock = Math.max(clock, time);
    },
    skipTo(time) {
      const next = heap.peek();
      if (next && !next.cancelled && next.at < time) {
        throw new Error(`skipTo(${time}) would jump over a timer due at ${next.at}`);
      }
      clock = Math.max(clock, time);
    },
    fired: () => fired,
    restore() {
      globalThis.Date = RealDate;
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}
