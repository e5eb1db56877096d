/** A deterministic Clock for state-machine tests: time moves only when the test advances it. */
import type { Clock, TimerHandle } from '../../../../core/common/clock';

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

  private next(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const x of this.timers) {
      if (x.at > limit) continue;
      if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    }
    return best;
  }

  /** Advances time by `ms`, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const n = this.next(target);
      if (!n) break;
      this.timers = this.timers.filter((x) => x !== n);
      this.t = n.at;
      n.fn();
    }
    this.t = target;
    await flush();
  }

  /** Runs timers until `p` settles or `maxMs` of fake time passed; returns the settled promise. */
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
      const n = this.next(end);
      if (!n) {
        await flush();
        if (!settled)
          throw new Error('FakeClock.run: nothing scheduled and the promise is still pending (a hang)');
        break;
      }
      await this.advance(n.at - this.t);
    }
    if (!settled) throw new Error(`FakeClock.run: not settled after ${maxMs} ms of fake time`);
    return p;
  }
}
