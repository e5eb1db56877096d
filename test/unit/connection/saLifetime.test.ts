/** When SAs are rekeyed (SPEC §2: at 90 %, with jitter) and how failed rekeys are retried until the hard lifetime. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_REKEY_SCHEDULE, SaDeadline, softDeadlineMs } from '../../../core/connection/saLifetime';
import { FakeClock, seededRandom } from '../../support/deterministic';

describe('rekey deadlines', () => {
  it('fall in [85 %, 90 %] of the lifetime and spread over that range', () => {
    const random = seededRandom(3);
    const seen: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const ms = softDeadlineMs(3600, random, DEFAULT_REKEY_SCHEDULE);
      expect(ms).toBeGreaterThanOrEqual(3600 * 850);
      expect(ms).toBeLessThanOrEqual(3600 * 900);
      seen.push(ms);
    }
    expect(Math.max(...seen) - Math.min(...seen)).toBeGreaterThan(3600 * 45);
  });

  it('fire soft once, retry with backoff when asked, and fire hard at the lifetime', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    let d: SaDeadline | null = null;
    d = new SaDeadline(
      clock,
      100,
      seededRandom(1),
      { softFraction: 0.9, jitterFraction: 0, retryMs: 2000 },
      () => {
        events.push(`soft@${clock.now()}`);
        d?.retry();
      },
      () => events.push(`hard@${clock.now()}`),
    );
    clock.advanceSync(100_000);
    // 90 s, then +2 s, +4 s, then min(8 s, half of what is left) ... until too close to the end.
    expect(events[0]).toBe('soft@90000');
    expect(events[1]).toBe('soft@92000');
    expect(events[2]).toBe('soft@96000');
    expect(events.at(-1)).toBe('hard@100000');
    expect(events.filter((e) => e.startsWith('hard'))).toHaveLength(1);
  });

  it('cancel() stops both', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const d = new SaDeadline(
      clock,
      10,
      seededRandom(1),
      DEFAULT_REKEY_SCHEDULE,
      () => events.push('soft'),
      () => events.push('hard'),
    );
    d.cancel();
    clock.advanceSync(20_000);
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
