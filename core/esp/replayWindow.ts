/**
 * Anti-replay window (RFC 4303 §3.4.3), 32-bit sequence numbers (no ESN), as a ring bitmap of 32-bit words
 * with one spare word so that sliding clears whole words only (the RFC 6479 layout).
 */

export const DEFAULT_REPLAY_WINDOW = 1024;
/** RFC 4303 §3.4.3: a window of at least 32 MUST be supported, 64 SHOULD be the default; SPEC §2 asks ≥ 64. */
export const MIN_REPLAY_WINDOW = 64;
export const MAX_REPLAY_WINDOW = 1 << 16;

export type ReplayVerdict = 'ok' | 'replay' | 'too-old';

export class ReplayWindow {
  /** Packets accepted when they are within `size` of the highest sequence number seen. */
  readonly size: number;
  private readonly words: Uint32Array;
  private readonly wordMask: number;
  private top = 0;

  /** `size` is rounded up to a power of two (≥ 64): the ring index is then a mask, not a division. */
  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < MIN_REPLAY_WINDOW || size > MAX_REPLAY_WINDOW)
      throw new RangeError(
        `replay window must be an integer in [${MIN_REPLAY_WINDOW}, ${MAX_REPLAY_WINDOW}]`,
      );
    let s = MIN_REPLAY_WINDOW;
    while (s < size) s *= 2;
    this.size = s;
    // size/32 words cover the window; the spare word lets a slide clear the word the window's bottom shares.
    const nWords = s / 32 + 1;
    let ring = 1;
    while (ring < nWords) ring *= 2;
    this.words = new Uint32Array(ring);
    this.wordMask = ring - 1;
  }

  /** Highest sequence number accepted so far (0 before the first). */
  get highest(): number {
    return this.top;
  }

  /** Classifies `seq` without changing state; called before the ICV check (RFC 4303 §3.4.3). */
  check(seq: number): ReplayVerdict {
    // The sender's first packet is 1 (RFC 4303 §3.3.3), so 0 is never fresh.
    if (seq === 0) return 'replay';
    if (seq > this.top) return 'ok';
    if (this.top - seq >= this.size) return 'too-old';
    const word = this.words[(seq >>> 5) & this.wordMask]!;
    return word & (1 << (seq & 31)) ? 'replay' : 'ok';
  }

  /** Records `seq` after its ICV verified; slides the window when it is the new highest. */
  accept(seq: number): void {
    if (seq > this.top) {
      const from = this.top >>> 5;
      const to = seq >>> 5;
      const clear = Math.min(to - from, this.words.length);
      for (let i = 1; i <= clear; i++) this.words[(from + i) & this.wordMask] = 0;
      this.top = seq;
    }
    this.words[(seq >>> 5) & this.wordMask]! |= 1 << (seq & 31);
  }

  /** check() then accept() when fresh; for callers that have nothing to verify in between. */
  checkAndAccept(seq: number): ReplayVerdict {
    const v = this.check(seq);
    if (v === 'ok') this.accept(seq);
    return v;
  }
}
