/**
 * SPEC §7: "5 % loss, duplication and reordering on the path still brings the tunnel up" — at the orchestrator
 * level, both directions impaired, many seeds, fake time only. Durations are reported, never asserted as timings.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connectingPhases, world } from '../../support/fakeLns';
import type { LinkImpairment } from '../l2tp/harness';

const SPEC_PATH: LinkImpairment = { loss: 0.05, duplicate: 0.05, reorder: 0.05, delayMs: 15 };
const SEEDS = 100;

function spread(label: string, values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `${label}: n=${s.length} min=${s[0]!.toFixed(0)} p50=${pct(50).toFixed(0)} p90=${pct(90).toFixed(0)} max=${s.at(-1)!.toFixed(0)} mean=${mean.toFixed(0)} (fake ms)`;
}

for (const server of ['pppd', 'softether'] as const) {
  describe(`bring-up over a 5 % lossy, duplicating, reordering path (${server})`, () => {
    const connectMs: number[] = [];
    const retransmits: number[] = [];

    for (let seed = 1; seed <= SEEDS; seed++) {
      it(`connects, pings and disconnects cleanly (seed ${seed})`, async () => {
        const w = await world({
          seed: server === 'softether' ? seed + 1000 : seed,
          server,
          carrier: { impairment: SPEC_PATH },
        });
        const out = await w.connect();
        if (!out.ok) throw out.error;
        connectMs.push(out.at);
        retransmits.push(w.conn.counters().l2tp!.controlRetransmitted);
        // The tunnel came up exactly once: one SCCRQ and one ICRQ delivered whatever was duplicated or lost.
        expect(w.lns.received('l2tp').filter((x) => x === 'SCCRQ')).toHaveLength(1);
        expect(w.lns.received('l2tp').filter((x) => x === 'ICRQ')).toHaveLength(1);
        expect(connectingPhases(w.states)).toContain('ipcp');

        // IP is unreliable: most echoes make the round trip, none is delivered to onPacket twice as a new reply.
        const { sent, replies } = await w.ping(20);
        expect(sent).toBe(20);
        expect(replies.size).toBeGreaterThanOrEqual(14);

        await w.clock.run(w.conn.disconnect(), 60_000);
        expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
        expect(w.clientClock.pending).toBe(0);
        expect(await w.quiesce()).toBe(0);
      });
    }

    afterAll(() => {
      if (connectMs.length === 0) return;
      console.log(`[${server}] ${spread('connect time over the impaired path', connectMs)}`);
      console.log(
        `[${server}] L2TP control retransmissions per connect: ${JSON.stringify(histogram(retransmits))}`,
      );
    });
  });
}

describe('a long session over the impaired path', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`stays connected for ten minutes: keepalives survive 5 % loss (seed ${seed})`, async () => {
      const w = await world({ seed, carrier: { impairment: SPEC_PATH } });
      const out = await w.connect();
      if (!out.ok) throw out.error;
      await w.clock.advance(600_000);
      expect(w.conn.state.kind).toBe('connected');
      const ppp = w.conn.counters().ppp!;
      expect(ppp.echoSent).toBeGreaterThanOrEqual(19);
      await w.clock.run(w.conn.disconnect(), 60_000);
      expect(w.clientClock.pending).toBe(0);
    });
  }
});

describe('a much worse path (35 % loss, 20 % duplication and reordering)', () => {
  const outcomes: Record<string, number> = {};
  const connectMs: number[] = [];
  const failMs: number[] = [];
  for (let seed = 1; seed <= 40; seed++) {
    it(`ends in a defined state in bounded fake time with no timer left (seed ${seed})`, async () => {
      const w = await world({
        seed,
        carrier: { impairment: { loss: 0.35, duplicate: 0.2, reorder: 0.2, delayMs: 15 } },
      });
      const out = await w.connect(300_000);
      const key = out.ok ? 'connected' : `${out.error.phase}/${out.error.code}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (out.ok) {
        connectMs.push(out.at);
        await w.clock.run(w.conn.disconnect(), 60_000);
        expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
      } else {
        failMs.push(out.at);
        expect(out.error.code).not.toBe('internal');
        expect(w.conn.state).toMatchObject({ kind: 'failed', phase: out.error.phase, code: out.error.code });
      }
      expect(w.clientClock.pending).toBe(0);
      expect(await w.quiesce()).toBe(0);
    });
  }
  afterAll(() => {
    console.log(`[35 %] outcomes: ${JSON.stringify(outcomes)}`);
    if (connectMs.length) console.log(`[35 %] ${spread('connect time', connectMs)}`);
    if (failMs.length) console.log(`[35 %] ${spread('time to failure', failMs)}`);
  });
});

function histogram(values: number[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const v of values) h[v] = (h[v] ?? 0) + 1;
  return h;
}
