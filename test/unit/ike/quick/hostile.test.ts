/** Quick Mode on a hostile path: mutated copies of every datagram the server sends after phase 1. */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../../core/common/errors';
import { runQuickMode } from '../../../../core/ike/tasks/quickMode';
import { prng } from '../../../support/fuzz';
import { CLIENT, SERVER } from '../support/harness';
import { quickHarness } from './support/setup';

function mutate(rand: () => number, d: Uint8Array): Uint8Array {
  const r = (n: number) => Math.floor(rand() * n);
  let b = d.slice();
  for (let i = 0, n = 1 + r(3); i < n; i++) {
    switch (r(4)) {
      case 0:
        if (b.length > 4) b[4 + r(b.length - 4)]! ^= 1 << r(8);
        break;
      case 1:
        if (b.length > 4) b[4 + r(b.length - 4)] = r(256);
        break;
      case 2:
        b = b.slice(0, 4 + r(Math.max(1, b.length - 4)));
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
  'invalid-id',
];

let ignored = 0;

async function trial(seed: number, before: boolean): Promise<string> {
  const rand = prng(seed);
  const h = await quickHarness({ seed, qr: { answerDuplicateQm1: true, retransmitQm2Ms: 2000 } });
  h.qr.filter = (d) => {
    if (d.from.address !== SERVER || d.to.port !== h.transport.localPorts.natt) return 'deliver';
    if (before) {
      for (let i = 0; i < 3; i++) h.net.inject(d.from, d.to, mutate(rand, d.data));
      return 'duplicate';
    }
    h.clock.setTimeout(() => {
      for (let i = 0; i < 3; i++) h.net.inject(d.from, d.to, mutate(rand, d.data));
    }, 1);
    return 'deliver';
  };
  const t0 = h.clock.now();
  const p = runQuickMode({
    ikeSa: h.ikeSa,
    transforms: [{ cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' }],
    localAddress: CLIENT,
    serverAddress: SERVER,
    clock: h.clock,
    timeoutMs: 15_000,
  });
  const settled = p.then(
    () => 'established',
    (e: unknown) => (e instanceof FerryError ? e.code : `non-ferry: ${String(e)}`),
  );
  await h.clock.run(p).catch(() => {});
  const o = await settled;
  await h.clock.advance(50); // copies still in flight arrive after the outcome
  if (o === 'established') expect(h.qr.events).toContain('qm3');
  // Bounded: at most two attempts (transport, then tunnel) of 15 s each.
  expect(h.clock.now() - t0).toBeLessThanOrEqual(30_002);
  ignored += Object.values(h.ikeSa.counters.ignored).reduce((a, b) => a + b, 0);
  h.close();
  return o;
}

describe('quick mode on a hostile path', () => {
  const runs = Number(process.env.HOSTILE_RUNS ?? 60);

  it('mutated copies after each original: always establishes', async () => {
    const outcomes: Record<string, number> = {};
    for (let seed = 1; seed <= runs; seed++) {
      const o = await trial(seed, false);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ established: runs });
    expect(ignored).toBeGreaterThan(runs * 2);
  });

  it('mutated copies before each original: only typed errors, never a hang', async () => {
    ignored = 0;
    const outcomes: Record<string, number> = {};
    for (let seed = 1; seed <= runs; seed++) {
      const o = await trial(seed, true);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    console.log(`quick mode, mutated copies first: ${JSON.stringify(outcomes)}`);
    expect(Object.keys(outcomes).filter((k) => !KNOWN.includes(k))).toEqual([]);
    expect(outcomes.established ?? 0).toBeGreaterThan(runs / 2);
    expect(ignored).toBeGreaterThan(runs * 2);
  });
});
