import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ReplayVerdict, ReplayWindow } from '../../../core/esp/replayWindow';

/** The obvious model of RFC 4303 §3.4.3: a set of everything accepted and the highest sequence number. */
class NaiveWindow {
  private readonly seen = new Set<number>();
  private top = 0;
  constructor(private readonly size: number) {}
  checkAndAccept(seq: number): ReplayVerdict {
    if (seq === 0) return 'replay';
    if (seq <= this.top && this.top - seq >= this.size) return 'too-old';
    if (this.seen.has(seq)) return 'replay';
    this.seen.add(seq);
    this.top = Math.max(this.top, seq);
    return 'ok';
  }
}

describe('anti-replay window (RFC 4303 §3.4.3)', () => {
  for (const size of [64, 1024]) {
    describe(`size ${size}`, () => {
      it('accepts in-order packets and rejects each duplicate', () => {
        const w = new ReplayWindow(size);
        for (let s = 1; s <= 3 * size; s++) expect(w.checkAndAccept(s)).toBe('ok');
        expect(w.checkAndAccept(3 * size)).toBe('replay');
        expect(w.checkAndAccept(3 * size - size + 1)).toBe('replay');
        expect(w.highest).toBe(3 * size);
      });

      it('accepts reordering within the window, once', () => {
        const w = new ReplayWindow(size);
        w.accept(size + 10);
        for (const s of [size + 9, 11, size + 5, 12]) expect(w.check(s)).toBe('ok');
        expect(w.checkAndAccept(11)).toBe('ok');
        expect(w.checkAndAccept(11)).toBe('replay');
        expect(w.checkAndAccept(size + 9)).toBe('ok');
        expect(w.checkAndAccept(size + 9)).toBe('replay');
      });

      it('rejects packets left of the window as too old, exactly at the edge', () => {
        const w = new ReplayWindow(size);
        w.accept(5 * size);
        expect(w.check(5 * size - size + 1)).toBe('ok');
        expect(w.check(5 * size - size)).toBe('too-old');
        expect(w.check(1)).toBe('too-old');
      });

      it('slides cleanly over far-ahead jumps', () => {
        const w = new ReplayWindow(size);
        for (let s = 1; s <= 40; s++) w.accept(s);
        w.accept(1_000_000);
        // Bits of the old region must not alias into the new window.
        for (let s = 1_000_000 - size + 1; s < 1_000_000; s++) expect(w.check(s)).toBe('ok');
        expect(w.check(1_000_000)).toBe('replay');
        w.accept(0xffffffff);
        expect(w.check(0xffffffff)).toBe('replay');
        expect(w.check(0xffffffff - 1)).toBe('ok');
        expect(w.check(0xffffffff - size)).toBe('too-old');
      });

      it('never calls 0 fresh, and checking does not change state', () => {
        const w = new ReplayWindow(size);
        expect(w.check(0)).toBe('replay');
        expect(w.check(7)).toBe('ok');
        expect(w.check(7)).toBe('ok');
        expect(w.highest).toBe(0);
      });

      it('agrees with a Set-based model on arbitrary sequences', () => {
        const seq = fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 4 * size }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
        );
        // Walks that mostly move forward, with reordering, duplicates and jumps.
        const walk = fc.array(fc.tuple(fc.integer({ min: -size - 8, max: size + 8 }), fc.boolean()), {
          maxLength: 400,
        });
        fc.assert(
          fc.property(seq, walk, fc.array(seq, { maxLength: 50 }), (start, steps, extra) => {
            const real = new ReplayWindow(size);
            const model = new NaiveWindow(size);
            let cur = start;
            const inputs: number[] = [];
            for (const [delta, dup] of steps) {
              cur = Math.min(0xffffffff, Math.max(0, cur + delta));
              inputs.push(cur);
              if (dup) inputs.push(cur);
            }
            inputs.push(...extra);
            for (const s of inputs) expect(real.checkAndAccept(s)).toBe(model.checkAndAccept(s));
          }),
          { numRuns: 300 },
        );
      });
    });
  }

  it('rounds sizes up to a power of two and refuses sizes under 64', () => {
    expect(new ReplayWindow(100).size).toBe(128);
    expect(new ReplayWindow().size).toBe(1024);
    expect(() => new ReplayWindow(32)).toThrow(RangeError);
  });
});
