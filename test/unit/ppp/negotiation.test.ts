import { describe, expect, it } from 'vitest';
import { toHex } from '../../../core/common/bytes';
import { silentLogger } from '../../../core/common/log';
import { type ControlPacket, decodeControlPacket, encodeControlPacket } from '../../../core/ppp/frame';
import {
  ACK,
  type FinishReason,
  Negotiation,
  nak,
  type OptionTable,
  REJECT,
  type Verdict,
} from '../../../core/ppp/negotiation';
import { type ConfigOption, decodeOptions, encodeOptions, option } from '../../../core/ppp/options';
import { CODE } from '../../../core/ppp/protocol';
import { FakeClock, Wire } from './helpers';

/** A toy protocol: option 1 carries one byte we want agreed (peer insists on `insist`); option 2 is optional. */
class ToyTable implements OptionTable {
  want1: number | null = 1;
  want2 = true;
  insist = 5;
  naksTreatedAsReject = 0;
  peerAcked: ConfigOption[] = [];
  reset(): void {}
  buildRequest(): ConfigOption[] {
    const o: ConfigOption[] = [];
    if (this.want1 !== null) o.push(option(1, Uint8Array.of(this.want1)));
    if (this.want2) o.push(option(2, Uint8Array.of(0xee)));
    return o;
  }
  onAck(): void {}
  onNak(options: readonly ConfigOption[], treatAsReject: boolean): boolean {
    for (const o of options) {
      if (o.type !== 1) continue;
      if (treatAsReject) {
        this.naksTreatedAsReject++;
        this.want1 = null;
      } else this.want1 = o.data[0]!;
    }
    return true;
  }
  onReject(options: readonly ConfigOption[]): boolean {
    for (const o of options) {
      if (o.type === 1) this.want1 = null;
      else if (o.type === 2) this.want2 = false;
      else return false;
    }
    return true;
  }
  judge(options: readonly ConfigOption[]): Verdict[] {
    return options.map((o) => {
      if (o.type === 1) return o.data[0] === this.insist ? ACK : nak(option(1, Uint8Array.of(this.insist)));
      if (o.type === 9) return REJECT;
      return ACK;
    });
  }
  onPeerAcked(options: readonly ConfigOption[]): void {
    this.peerAcked = [...options];
  }
}

function harness(config = {}) {
  const clock = new FakeClock();
  const out: ControlPacket[] = [];
  const events: string[] = [];
  const finished: FinishReason[] = [];
  const table = new ToyTable();
  const fsm = new Negotiation(
    'TOY',
    table,
    {
      up: () => events.push('up'),
      down: () => events.push('down'),
      started: () => events.push('started'),
      finished: (r) => {
        events.push('finished');
        finished.push(r);
      },
      peerTerminated: () => events.push('peer-terminated'),
    },
    {
      clock,
      logger: silentLogger,
      send: (b) => {
        const p = decodeControlPacket(b);
        if (!p.ok) throw new Error('automaton sent an undecodable packet');
        out.push(p.value);
      },
    },
    config,
  );
  const peer = (code: number, id: number, options: ConfigOption[] | Uint8Array = []) =>
    fsm.receive({ code, id, data: options instanceof Uint8Array ? options : encodeOptions(options) });
  const last = () => out[out.length - 1]!;
  const opts = (p: ControlPacket) => {
    const d = decodeOptions(p.data);
    if (!d.ok) throw new Error('bad options');
    return d.value.map((o) => [o.type, toHex(o.data)]);
  };
  return { clock, out, events, finished, table, fsm, peer, last, opts };
}

const ok5 = [option(1, Uint8Array.of(5))];

describe('RFC 1661 automaton', () => {
  it('Initial → Starting → Req-Sent → Ack-Sent → Opened on a normal exchange', () => {
    const h = harness();
    h.fsm.open();
    expect(h.fsm.state).toBe('starting');
    h.fsm.up();
    expect(h.fsm.state).toBe('req-sent');
    const req = h.last();
    expect([req.code, h.opts(req)]).toEqual([
      CODE.CONFIGURE_REQUEST,
      [
        [1, '01'],
        [2, 'ee'],
      ],
    ]);
    h.peer(CODE.CONFIGURE_REQUEST, 0x40, ok5);
    expect([h.last().code, h.last().id, h.fsm.state]).toEqual([CODE.CONFIGURE_ACK, 0x40, 'ack-sent']);
    h.peer(CODE.CONFIGURE_ACK, req.id, req.data);
    expect(h.fsm.state).toBe('opened');
    expect(h.events).toEqual(['started', 'up']);
    expect(h.clock.pendingTimers).toBe(0); // no restart timer in Opened
  });

  it('Ack first, then the peer request: Req-Sent → Ack-Rcvd → Opened', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    const req = h.last();
    h.peer(CODE.CONFIGURE_ACK, req.id, req.data);
    expect(h.fsm.state).toBe('ack-rcvd');
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect(h.fsm.state).toBe('opened');
  });

  it('retransmits a lost request with the same id, then gives up after Max-Configure (TO-)', () => {
    const h = harness({ restartMs: 1000, maxConfigure: 4 });
    h.fsm.up();
    h.fsm.open();
    const first = h.last();
    h.clock.advanceSync(999);
    expect(h.out.length).toBe(1);
    h.clock.advanceSync(1);
    expect(h.out.length).toBe(2);
    expect(h.last().id).toBe(first.id);
    expect(toHex(h.last().data)).toBe(toHex(first.data));
    h.clock.advanceSync(10_000);
    expect(h.out.filter((p) => p.code === CODE.CONFIGURE_REQUEST).length).toBe(4);
    expect(h.fsm.state).toBe('stopped');
    expect(h.finished).toEqual(['timeout']);
  });

  it('a retransmission answered late still counts (same id)', () => {
    const h = harness({ restartMs: 1000 });
    h.fsm.up();
    h.fsm.open();
    const req = h.last();
    h.clock.advanceSync(2500); // two retransmissions
    h.peer(CODE.CONFIGURE_ACK, req.id, req.data);
    expect(h.fsm.state).toBe('ack-rcvd');
  });

  it('repeats our request before answering when the peer speaks first long after we sent ours (peer started late)', () => {
    const late = harness();
    late.fsm.up();
    late.fsm.open();
    late.clock.advanceSync(700); // xl2tpd starts pppd only after the ICCN: our first request went nowhere
    late.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect(late.out.map((p) => [p.code, p.id])).toEqual([
      [CODE.CONFIGURE_REQUEST, late.out[0]!.id],
      [CODE.CONFIGURE_REQUEST, late.out[0]!.id],
      [CODE.CONFIGURE_ACK, 1],
    ]);
    late.peer(CODE.CONFIGURE_ACK, late.out[0]!.id, late.out[0]!.data);
    late.peer(CODE.CONFIGURE_ACK, late.out[0]!.id, late.out[0]!.data); // the copy's Ack is discarded
    expect(late.fsm.state).toBe('opened');
    expect(late.events.filter((e) => e === 'up')).toHaveLength(1);

    const prompt = harness();
    prompt.fsm.up();
    prompt.fsm.open();
    prompt.clock.advanceSync(5);
    prompt.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect(prompt.out.map((p) => p.code)).toEqual([CODE.CONFIGURE_REQUEST, CODE.CONFIGURE_ACK]);
  });

  it('Naks the peer until Max-Failure, then Rejects (RFC 1661 §4.6)', () => {
    const h = harness({ maxFailure: 3 });
    h.fsm.up();
    h.fsm.open();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      h.peer(CODE.CONFIGURE_REQUEST, 10 + i, [option(1, Uint8Array.of(7))]);
      codes.push(h.last().code);
    }
    expect(codes).toEqual([3, 3, 3, 4, 4]);
    expect(h.opts(h.out[1]!)).toEqual([[1, '05']]); // the Nak suggests our value
    h.peer(CODE.CONFIGURE_REQUEST, 20, ok5);
    expect(h.last().code).toBe(CODE.CONFIGURE_ACK);
  });

  it('a peer that keeps Nak-ing: the Nak is treated as a Reject after Max-Failure (pppd)', () => {
    const h = harness({ maxFailure: 3 });
    h.fsm.up();
    h.fsm.open();
    for (let i = 0; i < 3; i++) {
      const req = h.last();
      h.peer(CODE.CONFIGURE_NAK, req.id, [option(1, Uint8Array.of(9 + i))]);
    }
    expect(h.table.naksTreatedAsReject).toBe(1);
    expect(h.opts(h.last())).toEqual([[2, 'ee']]);
    const ids = h.out.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length); // every new request has a new identifier
  });

  it('applies a Configure-Reject and discards one that is not a subset of our request', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    const req = h.last();
    h.peer(CODE.CONFIGURE_REJECT, req.id, [option(7, Uint8Array.of(1))]);
    expect(h.out.length).toBe(1); // bogus reject ignored
    h.peer(CODE.CONFIGURE_REJECT, req.id, [option(2, Uint8Array.of(0xee))]);
    expect(h.opts(h.last())).toEqual([[1, '01']]);
    expect(h.last().id).not.toBe(req.id);
  });

  it('rejects options it does not know before Nak-ing the ones it does', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    h.peer(CODE.CONFIGURE_REQUEST, 3, [option(1, Uint8Array.of(7)), option(9, Uint8Array.of(1, 2))]);
    expect([h.last().code, h.opts(h.last())]).toEqual([CODE.CONFIGURE_REJECT, [[9, '0102']]]);
  });

  it('ignores replies with a stale id, duplicated Acks, and Acks that do not repeat the request', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    const req = h.last();
    h.peer(CODE.CONFIGURE_ACK, (req.id + 1) & 0xff, req.data);
    expect(h.fsm.state).toBe('req-sent');
    h.peer(CODE.CONFIGURE_ACK, req.id, encodeOptions(ok5));
    expect(h.fsm.state).toBe('req-sent');
    h.peer(CODE.CONFIGURE_ACK, req.id, req.data);
    expect(h.fsm.state).toBe('ack-rcvd');
    h.peer(CODE.CONFIGURE_ACK, req.id, req.data); // duplicate
    expect(h.fsm.state).toBe('ack-rcvd');
  });

  it('crossing Configure-Requests between two automata reach Opened on both sides', () => {
    const a = harness();
    const b = harness();
    b.table.insist = 1;
    a.table.want1 = 5;
    const wire = new Wire(
      (f) =>
        a.fsm.receive(
          decodeControlPacket(f).ok ? (decodeControlPacket(f) as { value: ControlPacket }).value : a.last(),
        ),
      (f) => b.fsm.receive((decodeControlPacket(f) as { value: ControlPacket }).value),
    );
    a.out.length = 0;
    b.out.length = 0;
    // Both open at the same instant: each Configure-Request crosses the other's.
    a.fsm.up();
    b.fsm.up();
    a.fsm.open();
    b.fsm.open();
    const pump = () => {
      for (const p of a.out.splice(0)) wire.sendFrom('a', encodeControlPacket(p));
      for (const p of b.out.splice(0)) wire.sendFrom('b', encodeControlPacket(p));
      wire.flush();
    };
    for (let i = 0; i < 10; i++) pump();
    expect([a.fsm.state, b.fsm.state]).toEqual(['opened', 'opened']);
    expect(a.events.filter((e) => e === 'up').length).toBe(1);
  });

  it('two automata converge despite loss and duplication (restart timer)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      let s = seed;
      const rnd = () => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s / 0x7fffffff;
      };
      const a = harness({ restartMs: 100, maxConfigure: 50 });
      const b = harness({ restartMs: 100, maxConfigure: 50 });
      b.table.insist = 1;
      a.table.want1 = 5;
      const decode = (f: Uint8Array) => (decodeControlPacket(f) as { value: ControlPacket }).value;
      const wire = new Wire(
        (f) => a.fsm.receive(decode(f)),
        (f) => b.fsm.receive(decode(f)),
      );
      wire.filter = () => (rnd() < 0.3 ? 0 : rnd() < 0.2 ? 2 : 1);
      a.fsm.up();
      b.fsm.up();
      a.fsm.open();
      b.fsm.open();
      for (let t = 0; t < 200 && !(a.fsm.state === 'opened' && b.fsm.state === 'opened'); t++) {
        for (const p of a.out.splice(0)) wire.sendFrom('a', encodeControlPacket(p));
        for (const p of b.out.splice(0)) wire.sendFrom('b', encodeControlPacket(p));
        wire.flush();
        a.clock.advanceSync(50);
        b.clock.advanceSync(50);
      }
      expect([seed, a.fsm.state, b.fsm.state]).toEqual([seed, 'opened', 'opened']);
    }
  });

  it('Close in Opened: Terminate-Request, Terminate-Ack → Closed (This-Layer-Finished)', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    h.peer(CODE.CONFIGURE_ACK, h.last().id, h.last().data);
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    h.fsm.close('bye');
    expect([h.fsm.state, h.last().code, Buffer.from(h.last().data).toString()]).toEqual([
      'closing',
      CODE.TERMINATE_REQUEST,
      'bye',
    ]);
    h.peer(CODE.TERMINATE_ACK, h.last().id);
    expect(h.fsm.state).toBe('closed');
    expect(h.events).toEqual(['up', 'down', 'finished']);
    expect(h.finished).toEqual(['closed']);
  });

  it('Close with no answer: Max-Terminate Terminate-Requests, then Closed', () => {
    const h = harness({ restartMs: 1000, maxTerminate: 2 });
    h.fsm.up();
    h.fsm.open();
    h.fsm.close();
    h.clock.advanceSync(5000);
    expect(h.out.filter((p) => p.code === CODE.TERMINATE_REQUEST).length).toBe(2);
    expect([h.fsm.state, h.finished]).toEqual(['closed', ['closed']]);
  });

  it('peer Terminate-Request in Opened: Terminate-Ack, Stopping, one restart period, Stopped', () => {
    const h = harness({ restartMs: 1000 });
    h.fsm.up();
    h.fsm.open();
    h.peer(CODE.CONFIGURE_ACK, h.last().id, h.last().data);
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    h.peer(CODE.TERMINATE_REQUEST, 0x77, new Uint8Array(Buffer.from('Authentication failed')));
    expect([h.last().code, h.last().id, h.fsm.state]).toEqual([CODE.TERMINATE_ACK, 0x77, 'stopping']);
    h.clock.advanceSync(1000);
    expect(h.fsm.state).toBe('stopped');
    expect(h.events).toEqual(['up', 'peer-terminated', 'down', 'finished']);
    expect(h.finished).toEqual(['peer-terminated']);
  });

  it('a Configure-Request in Opened renegotiates: This-Layer-Down, new request, answer', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    h.peer(CODE.CONFIGURE_ACK, h.last().id, h.last().data);
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    const before = h.out.length;
    h.peer(CODE.CONFIGURE_REQUEST, 2, ok5);
    expect(h.out.slice(before).map((p) => p.code)).toEqual([CODE.CONFIGURE_REQUEST, CODE.CONFIGURE_ACK]);
    expect(h.fsm.state).toBe('ack-sent');
    expect(h.events).toEqual(['up', 'down']);
  });

  it('a retransmitted request already acknowledged in Opened gets the Ack again, without renegotiation', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    h.peer(CODE.CONFIGURE_ACK, h.last().id, h.last().data);
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect(h.fsm.state).toBe('opened');
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect([h.fsm.state, h.last().code, h.last().id, h.events]).toEqual([
      'opened',
      CODE.CONFIGURE_ACK,
      1,
      ['up'],
    ]);
  });

  it('Code-Rejects unknown codes; a Code-Reject of Configure-Request is fatal (RXJ-)', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    h.peer(42, 9, Uint8Array.of(1, 2, 3));
    expect([h.last().code, toHex(h.last().data)]).toEqual([CODE.CODE_REJECT, '2a090007010203']);
    h.peer(CODE.CODE_REJECT, 1, Uint8Array.of(12, 1, 0, 4)); // RXJ+: harmless
    expect(h.fsm.state).toBe('req-sent');
    h.peer(CODE.CODE_REJECT, 2, Uint8Array.of(1, 1, 0, 4));
    expect([h.fsm.state, h.finished]).toEqual(['stopped', ['code-rejected']]);
  });

  it('packets before Up are ignored; Terminate-Request in Closed gets a Terminate-Ack', () => {
    const h = harness();
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect(h.out.length).toBe(0);
    h.fsm.up();
    h.peer(CODE.TERMINATE_REQUEST, 4);
    expect([h.fsm.state, h.last().code]).toEqual(['closed', CODE.TERMINATE_ACK]);
  });

  it('silent mode waits in Stopped for the peer, then negotiates', () => {
    const h = harness({ silent: true });
    h.fsm.up();
    h.fsm.open();
    expect([h.fsm.state, h.out.length]).toEqual(['stopped', 0]);
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    expect(h.out.map((p) => p.code)).toEqual([CODE.CONFIGURE_REQUEST, CODE.CONFIGURE_ACK]);
    expect(h.fsm.state).toBe('ack-sent');
  });

  it('Down in Opened signals This-Layer-Down and returns to Starting', () => {
    const h = harness();
    h.fsm.up();
    h.fsm.open();
    h.peer(CODE.CONFIGURE_ACK, h.last().id, h.last().data);
    h.peer(CODE.CONFIGURE_REQUEST, 1, ok5);
    h.fsm.down();
    expect([h.fsm.state, h.events]).toEqual(['starting', ['up', 'down']]);
  });
});
