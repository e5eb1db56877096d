import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { prng } from '../../support/fuzz';
import { CLIENT, harness } from './support/harness';

/** Mutations of a datagram: bit flips, byte overwrites, truncation, extension. */
function mutate(rand: () => number, d: Uint8Array): Uint8Array {
  const r = (n: number) => Math.floor(rand() * n);
  let b = d.slice();
  for (let i = 0, n = 1 + r(3); i < n; i++) {
    switch (r(4)) {
      case 0:
        if (b.length) b[r(b.length)]! ^= 1 << r(8);
        break;
      case 1:
        if (b.length) b[r(b.length)] = r(256);
        break;
      case 2:
        b = b.slice(0, r(b.length + 1));
        break;
      default: {
        const e = new Uint8Array(b.length + 1 + r(16));
        e.set(b);
        b = e;
      }
    }
  }
  return b;
}

const KNOWN = [
  'established',
  'auth-failed',
  'malformed-reply',
  'timeout',
  'no-proposal-chosen',
  'server-error',
  'nat-t-unsupported',
  'invalid-id',
];

async function trial(seed: number, before: boolean): Promise<string> {
  const rand = prng(seed);
  const h = await harness({ seed, responder: { answerDuplicates: true, retransmitMs: 2000 } });
  h.net.filter = (d) => {
    if (d.from.address === CLIENT) return 'deliver';
    if (before) {
      for (let i = 0; i < 3; i++) h.net.inject(d.from, d.to, mutate(rand, d.data));
      return 'duplicate';
    }
    // Original first, mutated copies after it.
    h.clock.setTimeout(() => {
      for (let i = 0; i < 3; i++) h.net.inject(d.from, d.to, mutate(rand, d.data));
    }, 1);
    return 'deliver';
  };
  const p = h.ikeSa.establish();
  const settled = p.then(
    () => 'established',
    (e: unknown) => (e instanceof FerryError ? e.code : `non-ferry: ${String(e)}`),
  );
  await h.clock.run(p).catch(() => {});
  const o = await settled;
  expect(h.clock.now()).toBeLessThanOrEqual(30_001);
  h.close();
  return o;
}

describe('a hostile path: mutated copies of every server datagram', () => {
  const runs = Number(process.env.HOSTILE_RUNS ?? 150);

  it('mutated copies after each original: always connects', async () => {
    const outcomes: Record<string, number> = {};
    for (let seed = 1; seed <= runs; seed++) {
      const o = await trial(seed, false);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ established: runs });
  });

  it('mutated copies before each original: only typed errors, never a hang', async () => {
    const outcomes: Record<string, number> = {};
    for (let seed = 1; seed <= runs; seed++) {
      const o = await trial(seed, true);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    // Unauthenticated replies (MM2, MM4) that parse but are wrong fail fast by design, like strongSwan.
    expect(Object.keys(outcomes).filter((k) => !KNOWN.includes(k))).toEqual([]);
    expect(outcomes.established ?? 0).toBeGreaterThan(0);
  });
});
