import type { Clock, TimerHandle } from '../../../core/common/clock';
import { createLogger, type Logger, RingBufferSink } from '../../../core/common/log';
import type { RandomSource } from '../../../core/common/random';
import { prng } from '../../support/fuzz';

/** A manual clock: timers fire only inside advance(), in deadline order. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by ms, firing due timers (and timers they set) in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, tm] of this.timers) {
        if (tm.at < nextAt || (tm.at === nextAt && id < nextId)) {
          nextAt = tm.at;
          nextId = id;
        }
      }
      if (nextId < 0 || nextAt > end) break;
      const tm = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.t = tm.at;
      tm.fn();
    }
    this.t = end;
  }
}

/** Deterministic RandomSource from a seed. */
export function seededRandom(seed: number): RandomSource {
  const r = prng(seed);
  return (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
    return b;
  };
}

export function capturingLogger(): { logger: Logger; ring: RingBufferSink } {
  const ring = new RingBufferSink(100_000);
  return { logger: createLogger({ sinks: [ring.sink] }), ring };
}

/**
 * Two endpoints joined by queues. Sends are queued and delivered by flush(), so handlers never recurse;
 * `filter` may drop (return 0), pass (1) or duplicate (2) each frame.
 */
export class Wire {
  private readonly queue: Array<{ to: 'a' | 'b'; frame: Uint8Array }> = [];
  filter: (from: 'a' | 'b', frame: Uint8Array) => number = () => 1;
  readonly log: Array<{ from: 'a' | 'b'; frame: Uint8Array }> = [];

  constructor(
    private readonly a: (frame: Uint8Array) => void,
    private readonly b: (frame: Uint8Array) => void,
  ) {}

  sendFrom(from: 'a' | 'b', frame: Uint8Array): void {
    this.log.push({ from, frame });
    const copies = this.filter(from, frame);
    for (let i = 0; i < copies; i++) this.queue.push({ to: from === 'a' ? 'b' : 'a', frame });
  }

  flush(limit = 10_000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const m = this.queue.shift()!;
      (m.to === 'a' ? this.a : this.b)(m.frame);
    }
  }
}
