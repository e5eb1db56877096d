/**
 * Property: garbage datagrams from the server side, injected at random moments during the bring-up and after
 * it, never throw out of the connection, and the connection always ends in a defined state (connected, or a
 * typed failure that is not an internal error), with every timer cleared once it is disconnected.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emitter } from '../../../core/common/events';
import { HDR_L, HDR_S, HDR_T, L2TP_VERSION } from '../../../core/l2tp/constants';
import { encodeIcmpEcho } from '../../../core/net/ipv4';
import { type World, world } from '../../support/fakeLns';
import { prng } from '../../support/fuzz';

const SEEDS = Number(process.env.CONNECTION_FUZZ_SEEDS ?? 300);
const PPP_PROTOCOLS = [0xc021, 0xc023, 0xc223, 0xc227, 0x8021, 0x8057, 0x80fd, 0x0021, 0x0057, 0xc025];

/** Garbage a hostile or broken server could send: random, mutated, or well addressed with random insides. */
function garbageFor(w: World, rand: () => number): () => Uint8Array {
  const r = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => r(256));
  const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
  const data = (ppp: Uint8Array) =>
    Uint8Array.from([
      ...u16(L2TP_VERSION),
      ...u16(w.lns.clientTunnelId),
      ...u16(w.lns.clientSessionId),
      ...ppp,
    ]);
  const pppControl = (protocol: number) => {
    const body = bytes(r(48));
    const length = rand() < 0.8 ? 4 + body.length : r(0x10000);
    return Uint8Array.from([0xff, 0x03, ...u16(protocol), 1 + r(14), r(256), ...u16(length), ...body]);
  };
  return () => {
    switch (r(6)) {
      case 0:
        return bytes(r(80));
      case 1: {
        // A recent server datagram with a few bytes changed, maybe cut short.
        const seeds = w.lns.recentOutput();
        if (seeds.length === 0) return bytes(r(40));
        const d = seeds[r(seeds.length)]!;
        for (let i = 1 + r(4); i > 0; i--) if (d.length) d[r(d.length)] = r(256);
        return rand() < 0.3 ? d.subarray(0, r(d.length + 1)) : d;
      }
      case 2:
        // A data message for our session carrying a random PPP control packet.
        return data(pppControl(PPP_PROTOCOLS[r(PPP_PROTOCOLS.length)]!));
      case 3: {
        // A control message for our tunnel with a random Message Type and random AVPs, often in sequence.
        const ns = rand() < 0.5 ? w.lns.controlNs : (w.lns.controlNs + r(20)) & 0xffff;
        const avps: number[] = [0x80, 8, 0, 0, 0, 0, ...u16(r(20))];
        for (let i = r(4); i > 0; i--) {
          const value = bytes(r(12));
          const flags = (rand() < 0.5 ? 0x8000 : 0) | (rand() < 0.1 ? 0x4000 : 0);
          avps.push(...u16(flags | (6 + value.length)), 0, 0, ...u16(r(48)), ...value);
        }
        const session = [0, w.lns.clientSessionId, r(0x10000)][r(3)]!;
        const length = 12 + avps.length;
        return Uint8Array.from([
          ...u16(HDR_T | HDR_L | HDR_S | L2TP_VERSION),
          ...u16(length),
          ...u16(w.lns.clientTunnelId),
          ...u16(session),
          ...u16(ns),
          ...u16(r(0x10000)),
          ...avps,
        ]);
      }
      case 4: {
        // A well-formed LCP or IPCP packet with random options.
        const options: number[] = [];
        for (let i = r(5); i > 0; i--) {
          const v = bytes(r(6));
          options.push(r(32), 2 + v.length, ...v);
        }
        const protocol = rand() < 0.5 ? 0xc021 : 0x8021;
        const code = 1 + r(11);
        return data(
          Uint8Array.from([
            0xff,
            0x03,
            ...u16(protocol),
            code,
            r(256),
            ...u16(4 + options.length),
            ...options,
          ]),
        );
      }
      default: {
        // An IP packet: a real echo reply or a broken header.
        const ok = encodeIcmpEcho('10.99.0.1', '10.99.0.10', {
          type: 'reply',
          id: r(65536),
          seq: 1,
          data: bytes(r(32)),
        });
        if (rand() < 0.5) ok[r(ok.length)] = r(256);
        return data(Uint8Array.from([0xff, 0x03, 0x00, 0x21, ...ok]));
      }
    }
  };
}

describe('garbage from the server side at random moments', () => {
  const outcomes: Record<string, number> = {};
  let injected = 0;
  const listenerErrors: unknown[] = [];
  const savedListenerError = Emitter.onListenerError;
  beforeEach(() => {
    Emitter.onListenerError = (e) => listenerErrors.push(e);
  });
  afterEach(() => {
    Emitter.onListenerError = savedListenerError;
  });

  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`never throws and ends in a defined state (seed ${seed})`, async () => {
      const rand = prng(seed * 104729);
      const w = await world({ seed, server: seed % 3 === 0 ? 'softether' : 'pppd' });
      const garbage = garbageFor(w, rand);
      const inject = (count: number, withinMs: number) => {
        for (let i = 0; i < count; i++)
          w.clock.setTimeout(() => {
            injected++;
            w.lns.inject(garbage());
          }, rand() * withinMs);
      };

      // From a trickle to a flood, so that some runs stay up and others are knocked over.
      const intensity = 1 + Math.floor(rand() * 40);
      inject(intensity, 1500); // during the bring-up (~250 ms on a clean path, longer once disturbed)
      const out = await w.connect(300_000);
      let key: string;
      if (out.ok) {
        inject(intensity * 2, 30_000); // while connected
        await w.clock.advance(31_000);
        const s = w.conn.state;
        expect(['connected', 'failed']).toContain(s.kind);
        if (s.kind === 'failed') expect(s.phase).toBe('established');
        key = s.kind === 'failed' ? `established/${s.code}` : s.kind;
      } else {
        expect(out.error.code).not.toBe('internal');
        expect(w.conn.state).toMatchObject({ kind: 'failed', phase: out.error.phase, code: out.error.code });
        key = `${out.error.phase}/${out.error.code}`;
      }
      outcomes[key] = (outcomes[key] ?? 0) + 1;

      await w.clock.run(w.conn.disconnect(), 60_000);
      expect(['disconnected', 'failed']).toContain(w.conn.state.kind);
      expect(w.clientClock.pending).toBe(0);
      // Nothing escaped a handler inside the stack either.
      const l2tp = w.conn.counters().l2tp;
      expect(l2tp?.malformed['handler-threw'] ?? 0).toBe(0);
      const internal = w.ring.snapshot().filter((e) => /internal error|exception while/i.test(e.msg));
      expect(internal).toEqual([]);
      expect(listenerErrors).toEqual([]);
      expect(await w.quiesce()).toBe(0);
    });
  }

  afterAll(() => {
    const sorted = Object.fromEntries(Object.entries(outcomes).sort((a, b) => b[1] - a[1]));
    console.log(
      `[fuzz] ${SEEDS} connects, ${injected} garbage datagrams; outcomes ${JSON.stringify(sorted)}`,
    );
  });
});
