import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { type Avp, avp, findAvp } from '../../../core/l2tp/avp';
import { MessageType, messageTypeName } from '../../../core/l2tp/constants';
import { type ControlMessage, decodeControlMessage, messageTypeOf } from '../../../core/l2tp/controlMessage';
import {
  ReliableTransport,
  type ReliableTransportOptions,
  type TransportFailure,
} from '../../../core/l2tp/reliableTransport';
import { FakeClock, type LinkImpairment, LossyPath } from './harness';

const msg = (type: number, serial?: number): Avp[] =>
  serial === undefined
    ? [avp('messageType', type)]
    : [avp('messageType', type), avp('callSerialNumber', serial)];

const serialOf = (m: ControlMessage) => findAvp(m.avps, 'callSerialNumber');

/** One transport on a FakeClock: what it sends is decoded into `sent`, what it delivers lands in `got`. */
function recording(extra: Partial<ReliableTransportOptions> = {}) {
  const clock = new FakeClock();
  const sent: ControlMessage[] = [];
  const got: ControlMessage[] = [];
  const t = new ReliableTransport({
    clock,
    logger: silentLogger,
    output: (d) => {
      const m = decodeControlMessage(d);
      if (m.ok) sent.push(m.value);
    },
    deliver: (m) => got.push(m),
    onFailure: () => {},
    ...extra,
  });
  return { clock, sent, got, t };
}

interface WireEntry {
  readonly t: number;
  readonly dir: 'A>B' | 'B>A';
  readonly what: string;
  readonly ns: number;
  readonly nr: number;
}

/** Two transports joined by a wire with a fixed delay; `drop` can remove chosen datagrams. */
function wiredPair(
  clock: FakeClock,
  opts: {
    a?: Partial<ReliableTransportOptions>;
    b?: Partial<ReliableTransportOptions>;
    drop?: (e: WireEntry) => boolean;
    delayMs?: number;
    onA?: (m: ControlMessage, a: ReliableTransport) => void;
    onB?: (m: ControlMessage, b: ReliableTransport) => void;
  } = {},
) {
  const log: WireEntry[] = [];
  const failures: TransportFailure[] = [];
  const gotA: ControlMessage[] = [];
  const gotB: ControlMessage[] = [];
  const transports: { a?: ReliableTransport; b?: ReliableTransport } = {};
  const wire = (dir: WireEntry['dir']) => (d: Uint8Array) => {
    const m = decodeControlMessage(d);
    if (!m.ok) throw new Error(m.error.message);
    const e = {
      t: clock.now(),
      dir,
      what: messageTypeName(messageTypeOf(m.value)),
      ns: m.value.ns,
      nr: m.value.nr,
    };
    log.push(e);
    if (opts.drop?.(e)) return;
    clock.setTimeout(
      () => (dir === 'A>B' ? transports.b : transports.a)!.receive(m.value),
      opts.delayMs ?? 10,
    );
  };
  const a = new ReliableTransport({
    clock,
    logger: silentLogger,
    output: wire('A>B'),
    deliver: (m) => {
      gotA.push(m);
      opts.onA?.(m, a);
    },
    onFailure: (f) => failures.push(f),
    ...opts.a,
  });
  const b = new ReliableTransport({
    clock,
    logger: silentLogger,
    output: wire('B>A'),
    deliver: (m) => {
      gotB.push(m);
      opts.onB?.(m, b);
    },
    onFailure: (f) => failures.push(f),
    ...opts.b,
  });
  transports.a = a;
  transports.b = b;
  a.setPeerTunnelId(2);
  b.setPeerTunnelId(1);
  return { a, b, log, failures, gotA, gotB };
}

const brief = (log: readonly WireEntry[]) => log.map((e) => `${e.dir} ${e.what} Ns:${e.ns} Nr:${e.nr}`);

describe('reliable control transport (RFC 2661 §5.8)', () => {
  it('runs the lock-step tunnel establishment of Appendix B.1', async () => {
    const clock = new FakeClock();
    const { a, log } = wiredPair(clock, {
      onB: (m, b) => {
        if (messageTypeOf(m) === MessageType.SCCRQ) void b.send(0, msg(MessageType.SCCRP));
      },
      onA: (m, a) => {
        if (messageTypeOf(m) === MessageType.SCCRP) void a.send(0, msg(MessageType.SCCCN));
      },
    });
    const acked = a.send(0, msg(MessageType.SCCRQ));
    await clock.advance(1000);
    expect(await acked).toBe(true);
    expect(brief(log)).toEqual([
      'A>B SCCRQ Ns:0 Nr:0',
      'B>A SCCRP Ns:0 Nr:1',
      'A>B SCCCN Ns:1 Nr:1',
      'B>A ZLB Ns:1 Nr:2',
    ]);
    // The ZLB leaves one ack delay (100 ms) after the SCCCN arrived.
    expect(log[3]!.t - log[2]!.t).toBe(10 + 100);
    expect(a.pending).toBe(0);
  });

  it('recovers the lost ICRP of Appendix B.2: duplicate ICRQ answered by a ZLB, ICRP retransmitted', async () => {
    const clock = new FakeClock();
    let droppedIcrp = false;
    const { a, b, log, gotA } = wiredPair(clock, {
      // As in the RFC's narrative, the LAC's retransmission timer fires before the LNS's.
      b: { retransmit: { initialMs: 1200 } },
      drop: (e) => {
        if (e.what !== 'ICRP' || droppedIcrp) return false;
        droppedIcrp = true;
        return true;
      },
      onB: (m, b) => {
        const t = messageTypeOf(m);
        if (t === MessageType.SCCRQ) void b.send(0, msg(MessageType.SCCRP));
        if (t === MessageType.ICRQ) void b.send(0, msg(MessageType.ICRP));
      },
      onA: (m, a) => {
        const t = messageTypeOf(m);
        if (t === MessageType.SCCRP) void a.send(0, msg(MessageType.SCCCN));
        if (t === MessageType.ICRP) void a.send(0, msg(MessageType.ICCN));
      },
    });
    void a.send(0, msg(MessageType.SCCRQ));
    await clock.advance(1000);
    log.length = 0;
    void a.send(0, msg(MessageType.ICRQ));
    await clock.advance(5000);
    expect(brief(log)).toEqual([
      'A>B ICRQ Ns:2 Nr:1',
      'B>A ICRP Ns:1 Nr:3', // lost
      'A>B ICRQ Ns:2 Nr:1', // A's retransmission timer fires first
      'B>A ZLB Ns:2 Nr:3', // duplicate: acknowledged at once, not redelivered
      'B>A ICRP Ns:1 Nr:3', // B's retransmission
      'A>B ICCN Ns:3 Nr:2',
      'B>A ZLB Ns:2 Nr:4',
    ]);
    expect(gotA.map((m) => messageTypeName(messageTypeOf(m)))).toEqual(['SCCRP', 'ICRP']);
    expect(b.counters.duplicates).toBe(1);
    expect(a.counters.controlRetransmitted).toBe(1);
  });

  it('retransmits with exponential backoff capped at 8 s and fails after 5 retries (31 s)', async () => {
    const clock = new FakeClock();
    const { a, log, failures } = wiredPair(clock, { drop: () => true });
    const acked = a.send(0, msg(MessageType.SCCRQ));
    await clock.advance(60_000);
    expect(log.map((e) => e.t)).toEqual([0, 1000, 3000, 7000, 15000, 23000]);
    expect(failures).toEqual([{ messageType: MessageType.SCCRQ, retries: 5, elapsedMs: 31_000 }]);
    expect(await acked).toBe(false);
    expect(a.state).toBe('failed');
    expect(await a.send(0, msg(MessageType.HELLO))).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('honours a configured policy', async () => {
    const clock = new FakeClock();
    const { a, log, failures } = wiredPair(clock, {
      drop: () => true,
      a: { retransmit: { initialMs: 500, maxMs: 1000, maxRetries: 3 } },
    });
    void a.send(0, msg(MessageType.HELLO));
    await clock.advance(10_000);
    expect(log.map((e) => e.t)).toEqual([0, 500, 1500, 2500]);
    expect(failures[0]!.elapsedMs).toBe(3500);
  });

  it('sends a ZLB only when no reply carries the acknowledgement within the ack delay', async () => {
    const clock = new FakeClock();
    const { a, log } = wiredPair(clock, {
      onB: (m, b) => {
        if (serialOf(m) === 1) void b.send(0, msg(MessageType.HELLO));
      },
    });
    void a.send(0, msg(MessageType.HELLO, 1));
    await clock.advance(500);
    expect(brief(log)).toEqual(['A>B HELLO Ns:0 Nr:0', 'B>A HELLO Ns:0 Nr:1', 'A>B ZLB Ns:1 Nr:1']);
    log.length = 0;
    void a.send(0, msg(MessageType.HELLO, 2));
    await clock.advance(500);
    expect(brief(log)).toEqual(['A>B HELLO Ns:1 Nr:1', 'B>A ZLB Ns:1 Nr:2']);
    expect(log[1]!.t - log[0]!.t).toBe(10 + 100);
  });

  it("keeps at most the peer's Receive Window Size unacknowledged (default 4) and slides on acks", async () => {
    const { sent, t: a } = recording();
    for (let i = 0; i < 10; i++) void a.send(0, msg(MessageType.HELLO, i));
    expect(sent.map((m) => m.ns)).toEqual([0, 1, 2, 3]);
    a.receive({ tunnelId: 1, sessionId: 0, ns: 0, nr: 2, avps: [] });
    expect(sent.map((m) => m.ns)).toEqual([0, 1, 2, 3, 4, 5]);
    a.setPeerWindow(16);
    expect(sent.map((m) => m.ns)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // An Nr acknowledging messages never sent is ignored.
    a.receive({ tunnelId: 1, sessionId: 0, ns: 0, nr: 40, avps: [] });
    expect(a.counters.badAcks).toBe(1);
    expect(a.pending).toBe(8);
    a.dispose();
  });

  it('puts the current Nr on retransmissions', async () => {
    const { clock, sent, t: a } = recording({ ackDelayMs: 5000 });
    void a.send(0, msg(MessageType.HELLO));
    a.receive({ tunnelId: 1, sessionId: 0, ns: 0, nr: 0, avps: msg(MessageType.HELLO) });
    await clock.advance(1000);
    expect(sent.map((m) => [m.ns, m.nr])).toEqual([
      [0, 0],
      [0, 1],
    ]);
    a.dispose();
  });

  it('buffers early messages, delivers in order, drops beyond the window, never redelivers duplicates', () => {
    const got: number[] = [];
    // b sends nothing of its own, so everything it outputs is a ZLB acknowledgement.
    const { sent: zlbs, t: b } = recording({ receiveWindow: 4, deliver: (m) => got.push(serialOf(m)!) });
    const at = (ns: number): ControlMessage => ({ tunnelId: 2, sessionId: 0, ns, nr: 0, avps: msg(6, ns) });
    b.receive(at(2));
    b.receive(at(1));
    b.receive(at(4)); // Ns - Nr = 4: outside a window of 4
    b.receive(at(2)); // already buffered
    expect(got).toEqual([]);
    b.receive(at(0));
    expect(got).toEqual([0, 1, 2]);
    b.receive(at(1)); // old: acknowledged again at once
    expect(zlbs.at(-1)).toMatchObject({ nr: 3 });
    expect(got).toEqual([0, 1, 2]);
    expect(b.counters).toMatchObject({ reordered: 2, outOfWindow: 1, duplicates: 2, controlReceived: 3 });
    b.dispose();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`delivers everything in order exactly once over 5 % loss, duplication and reordering (seed ${seed})`, async () => {
      const clock = new FakeClock();
      const imp: LinkImpairment = { loss: 0.05, duplicate: 0.05, reorder: 0.05, delayMs: 20 };
      const got = { a: [] as number[], b: [] as number[] };
      const failures: TransportFailure[] = [];
      const t: { a?: ReliableTransport; b?: ReliableTransport } = {};
      const path = (to: 'a' | 'b', s: number) =>
        new LossyPath(
          clock,
          (d) => {
            const m = decodeControlMessage(d);
            if (m.ok) t[to]!.receive(m.value);
          },
          imp,
          s,
        );
      const ab = path('b', seed * 2);
      const ba = path('a', seed * 2 + 1);
      const make = (me: 'a' | 'b', out: LossyPath) =>
        new ReliableTransport({
          clock,
          logger: silentLogger,
          output: (d) => out.send(d),
          deliver: (m) => got[me].push(serialOf(m)!),
          onFailure: (f) => failures.push(f),
          peerWindow: 8,
        });
      t.a = make('a', ab);
      t.b = make('b', ba);
      const n = 300;
      const acks: Promise<boolean>[] = [];
      for (let i = 0; i < n; i++) {
        acks.push(t.a.send(0, msg(MessageType.HELLO, i)));
        if (i % 2 === 0) acks.push(t.b.send(0, msg(MessageType.HELLO, i)));
        if (i % 10 === 0) await clock.advance(15);
      }
      await clock.advance(120_000);
      expect(failures).toEqual([]);
      expect(got.b).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(got.a).toEqual(Array.from({ length: n / 2 }, (_, i) => i * 2));
      expect(await Promise.all(acks)).toEqual(acks.map(() => true));
      expect(t.a.pending + t.b.pending).toBe(0);
      expect(ab.sent - n).toBe(t.a.counters.controlRetransmitted + t.a.counters.zlbSent);
      expect(t.a.counters.controlRetransmitted + t.b.counters.controlRetransmitted).toBeGreaterThan(0);
      t.a.dispose();
      t.b.dispose();
      expect(clock.pendingTimers).toBe(0);
    });
  }

  it('wraps Ns and Nr through 65535 → 0 without losing order', async () => {
    const clock = new FakeClock();
    const queue: Array<() => void> = [];
    const got: number[] = [];
    const t: { a?: ReliableTransport; b?: ReliableTransport } = {};
    const link = (to: 'a' | 'b') => (d: Uint8Array) => {
      queue.push(() => {
        const r = decodeControlMessage(d);
        if (r.ok) t[to]!.receive(r.value);
      });
    };
    const opts = { clock, logger: silentLogger, onFailure: () => {}, peerWindow: 256, receiveWindow: 256 };
    t.a = new ReliableTransport({ ...opts, output: link('b'), deliver: () => {} });
    t.b = new ReliableTransport({ ...opts, output: link('a'), deliver: (m) => got.push(serialOf(m)!) });
    const n = 70_000;
    for (let i = 0; i < n; i++) void t.a.send(0, msg(MessageType.HELLO, i));
    while (got.length < n) {
      while (queue.length) queue.shift()!();
      await clock.advance(100);
    }
    while (queue.length) queue.shift()!();
    expect(got.length).toBe(n);
    expect(got.every((v, i) => v === i)).toBe(true);
    expect(t.a.nextNs).toBe(n & 0xffff);
    expect(t.b.expectedNs).toBe(n & 0xffff);
    expect(t.a.pending).toBe(0);
    expect(t.a.counters.controlRetransmitted).toBe(0);
  });

  it('after stop() still acknowledges what arrives (a retransmitted StopCCN), but delivers nothing', () => {
    const { sent: out, got, t: a } = recording();
    const stop: ControlMessage = { tunnelId: 1, sessionId: 0, ns: 0, nr: 0, avps: msg(MessageType.StopCCN) };
    a.receive(stop);
    a.stop();
    a.receive(stop);
    expect(got).toHaveLength(1);
    expect(out).toEqual([{ tunnelId: 0, sessionId: 0, ns: 0, nr: 1, avps: [] }]);
    a.dispose();
    a.receive(stop);
    expect(out).toHaveLength(1);
  });
});
