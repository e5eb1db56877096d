import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { DEFAULT_RETRANSMIT, ReplyCache, RequestRunner } from '../../../core/ike/exchange';
import type { IsakmpHeader } from '../../../core/ike/message';
import { FakeClock } from '../../support/deterministic';

const H = {} as IsakmpHeader;

describe('RequestRunner', () => {
  it('retransmits with exponential backoff capped at maxIntervalMs and fails at the deadline', async () => {
    const clock = new FakeClock();
    const sends: number[] = [];
    let retransmits = 0;
    const r = new RequestRunner(
      clock,
      () => sends.push(clock.now()),
      DEFAULT_RETRANSMIT,
      silentLogger,
      () => retransmits++,
    );
    const p = r.run({ label: 'X', message: Uint8Array.of(1), classify: () => ({ ignore: 'unexpected' }) });
    await expect(clock.run(p)).rejects.toThrow('X: no reply after 6 transmissions');
    expect(sends).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(clock.now()).toBe(15000);
    expect(retransmits).toBe(5);
    expect(r.busy).toBe(false);
  });

  it('resolves on accept, ignores what the classifier ignores, fails on fail', async () => {
    const clock = new FakeClock();
    const r = new RequestRunner(clock, () => {}, DEFAULT_RETRANSMIT, silentLogger);
    const p = r.run<number>({
      label: 'Y',
      message: Uint8Array.of(1),
      classify: (m) =>
        m[0] === 1 ? { ignore: 'garbage' } : m[0] === 2 ? { accept: 42 } : { fail: new Error('bad') },
    });
    expect(r.offer(Uint8Array.of(1), H, 'ike')).toEqual({ consumed: false, reason: 'garbage' });
    expect(r.offer(Uint8Array.of(2), H, 'ike')).toEqual({ consumed: true });
    await expect(p).resolves.toBe(42);
    expect(r.offer(Uint8Array.of(2), H, 'ike')).toEqual({ consumed: false });
    const q = r.run({ label: 'Z', message: Uint8Array.of(1), classify: () => ({ fail: new Error('bad') }) });
    r.offer(Uint8Array.of(3), H, 'ike');
    await expect(q).rejects.toThrow('bad');
    expect(clock.pendingTimers).toBe(0);
  });

  it('can be failed from outside and aborted', async () => {
    const clock = new FakeClock();
    const r = new RequestRunner(clock, () => {}, DEFAULT_RETRANSMIT, silentLogger);
    let fail: ((e: Error) => void) | null = null;
    const p = r.run({
      label: 'A',
      message: Uint8Array.of(1),
      classify: () => ({ ignore: 'stale' }),
      attach: (f) => (fail = f),
    });
    fail!(new Error('evidence'));
    await expect(p).rejects.toThrow('evidence');
    const q = r.run({ label: 'B', message: Uint8Array.of(1), classify: () => ({ ignore: 'stale' }) });
    r.abortAll(new Error('closed'));
    await expect(q).rejects.toThrow('closed');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('ReplyCache', () => {
  it('finds byte-identical messages, runs their hook, and evicts the oldest', () => {
    const c = new ReplyCache(2);
    let repeats = 0;
    c.remember(Uint8Array.of(1), Uint8Array.of(10), () => repeats++);
    c.remember(Uint8Array.of(2), null);
    expect(c.lookup(Uint8Array.of(1))?.reply).toEqual(Uint8Array.of(10));
    expect(repeats).toBe(1);
    expect(c.lookup(Uint8Array.of(2))).toEqual({ reply: null });
    expect(c.lookup(Uint8Array.of(1, 0))).toBeUndefined();
    c.remember(Uint8Array.of(3), null);
    expect(c.lookup(Uint8Array.of(1))).toBeUndefined();
  });
});
