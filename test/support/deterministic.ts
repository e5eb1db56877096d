/** Deterministic time and randomness for state-machine tests. */
import type { Clock, TimerHandle } from '../../core/common/clock';
import type { RandomSource } from '../../core/common/random';
import { prng } from './fuzz';

interface Timer {
  readonly handle: { readonly id: number };
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** Lets pending promise continuations and queued callbacks run. */
export const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

/** A Clock whose time moves only when the test advances it; timers fire in (deadline, creation) order. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = { id: ++this.seq };
    this.timers.push({ handle, at: this.t + Math.max(0, ms), seq: this.seq, fn });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((x) => x.handle !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  private takeNext(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const x of this.timers) {
      if (x.at > limit) continue;
      if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    }
    if (best) this.timers = this.timers.filter((x) => x !== best);
    return best;
  }

  /** Advances time by `ms`, firing due timers (and timers they set) synchronously, in order. */
  advanceSync(ms: number): void {
    const target = this.t + ms;
    for (let n = this.takeNext(target); n; n = this.takeNext(target)) {
      this.t = n.at;
      n.fn();
    }
    this.t = target;
  }

  /** Advances time by `ms`, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const n = this.takeNext(target);
      if (!n) break;
      this.t = n.at;
      n.fn();
    }
    this.t = target;
    await flush();
  }

  /** Runs timers until `p` settles or `maxMs` of fake time passed; fails on a hang (nothing scheduled). */
  async run<T>(p: Promise<T>, maxMs = 600_000): Promise<T> {
    let settled = false;
    p.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    const end = this.t + maxMs;
    await flush();
    while (!settled && this.t < end) {
      const next = this.timers.reduce<Timer | undefined>(
        (b, x) => (x.at <= end && (!b || x.at < b.at || (x.at === b.at && x.seq < b.seq)) ? x : b),
        undefined,
      );
      if (!next) {
        await flush();
        if (!settled)
          throw new Error('FakeClock.run: nothing scheduled and the promise is still pending (a hang)');
        break;
      }
      await this.advance(next.at - this.t);
    }
    if (!settled) throw new Error(`FakeClock.run: not settled after ${maxMs} ms of fake time`);
    return p;
  }
}

/** A RandomSource from a seed (mulberry32), so every run sees the same cookies, nonces and IVs. */
export function seededRandom(seed: number): RandomSource {
  const r = prng(seed);
  return (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
    return b;
  };
}
