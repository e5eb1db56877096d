/** Test doubles for the L2TP tests: a fake clock, a seeded lossy link and a scripted LNS built from the codecs. */
import { expect } from 'vitest';
import { createLogger, type LogEntry, type Logger } from '../../../core/common/log';
import { type Avp, avp } from '../../../core/l2tp/avp';
import { AVP_H, MessageType } from '../../../core/l2tp/constants';
import {
  type ControlMessage,
  decodeControlMessage,
  encodeControlMessage,
  isControlDatagram,
  messageTypeOf,
} from '../../../core/l2tp/controlMessage';
import { type DataMessage, decodeDataMessage } from '../../../core/l2tp/dataMessage';
import type { FakeClock } from '../../support/deterministic';
import { prng } from '../../support/fuzz';

export { FakeClock, flush, seededRandom } from '../../support/deterministic';

/** A logger that keeps entries for assertions. */
export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { logger: createLogger({ sinks: [(e) => entries.push(e)] }), entries };
}

export interface LinkImpairment {
  readonly loss?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
  /** One-way delay in ms (reordered packets get up to 3× more). */
  readonly delayMs?: number;
}

/** One direction of a simulated network path, driven by the fake clock and a seeded PRNG. */
export class LossyPath {
  sent = 0;
  delivered = 0;
  private readonly rand: () => number;

  constructor(
    private readonly clock: FakeClock,
    private readonly deliver: (d: Uint8Array) => void,
    private readonly imp: LinkImpairment,
    seed: number,
  ) {
    this.rand = prng(seed);
  }

  send(d: Uint8Array): void {
    this.sent++;
    if (this.rand() < (this.imp.loss ?? 0)) return;
    const copies = this.rand() < (this.imp.duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const base = this.imp.delayMs ?? 10;
      const delay = this.rand() < (this.imp.reorder ?? 0) ? base + this.rand() * base * 3 : base;
      const copy = d.slice();
      this.clock.setTimeout(() => {
        this.delivered++;
        this.deliver(copy);
      }, delay);
    }
  }
}

/** Decodes one datagram the client sent. */
export function decodeSent(d: Uint8Array): { control?: ControlMessage; data?: DataMessage } {
  if (isControlDatagram(d)) {
    const r = decodeControlMessage(d);
    if (!r.ok) throw new Error(`client sent an undecodable control message: ${r.error.message}`);
    return { control: r.value };
  }
  const r = decodeDataMessage(d);
  if (!r.ok) throw new Error(`client sent an undecodable data message: ${r.error.message}`);
  return { data: r.value };
}

/** Walks the raw AVP headers of a control datagram and fails the test on any H bit (§4.3: Ferry never hides). */
export function expectNoHiddenAvps(d: Uint8Array): void {
  if (!isControlDatagram(d)) return;
  let p = 12;
  const end = (d[2]! << 8) | d[3]!;
  while (p + 6 <= end) {
    const flags = (d[p]! << 8) | d[p + 1]!;
    expect(flags & AVP_H).toBe(0);
    p += flags & 0x3ff;
  }
}

/**
 * An LNS scripted by the test: it records what the client sends, tracks Ns/Nr the RFC way (Nr = next
 * expected Ns), and sends exactly what the test tells it to, encoded with the production codecs.
 */
export class ScriptedLns {
  readonly tunnelId: number;
  readonly sessionId = 0x2a2a;
  clientTunnelId = 0;
  clientSessionId = 0;
  ns = 0;
  nr = 0;
  readonly control: ControlMessage[] = [];
  readonly data: DataMessage[] = [];
  readonly raw: Uint8Array[] = [];
  deliverTo: ((d: Uint8Array) => void) | null = null;

  constructor(tunnelId = 0x1234) {
    this.tunnelId = tunnelId;
  }

  /** The client's `send` callback. */
  readonly fromClient = (d: Uint8Array): void => {
    this.raw.push(d);
    expectNoHiddenAvps(d);
    const { control, data } = decodeSent(d);
    if (data) {
      this.data.push(data);
      return;
    }
    const msg = control!;
    this.control.push(msg);
    if (msg.avps.length > 0 && msg.ns === this.nr) this.nr = (this.nr + 1) & 0xffff;
    const type = messageTypeOf(msg);
    if (type === MessageType.SCCRQ) {
      const id = msg.avps.find((a) => a.name === 'assignedTunnelId');
      if (id?.name === 'assignedTunnelId') this.clientTunnelId = id.value;
    }
    if (type === MessageType.ICRQ) {
      const id = msg.avps.find((a) => a.name === 'assignedSessionId');
      if (id?.name === 'assignedSessionId') this.clientSessionId = id.value;
    }
  };

  /** Control messages of one type the client sent (retransmissions included). */
  sent(type: number): ControlMessage[] {
    return this.control.filter((m) => messageTypeOf(m) === type);
  }

  last(): ControlMessage {
    return this.control[this.control.length - 1]!;
  }

  zlbs(): ControlMessage[] {
    return this.control.filter((m) => m.avps.length === 0);
  }

  /** Sends a control message with the next Ns and the current Nr. */
  send(avps: readonly Avp[], sessionId = 0, overrides: Partial<ControlMessage> = {}): Uint8Array {
    const d = encodeControlMessage({
      tunnelId: this.clientTunnelId,
      sessionId,
      ns: this.ns,
      nr: this.nr,
      avps,
      ...overrides,
    });
    if (avps.length > 0) this.ns = (this.ns + 1) & 0xffff;
    this.deliverTo?.(d);
    return d;
  }

  zlb(): void {
    this.send([]);
  }

  /** An SCCRP shaped like SoftEther's (Proto_L2TP.c): host 'vm', vendor 'L2TP', window 16. */
  sccrp(extra: readonly Avp[] = []): void {
    this.send([
      avp('messageType', MessageType.SCCRP),
      avp('protocolVersion', { version: 1, revision: 0 }),
      avp('framingCapabilities', 3, false),
      avp('bearerCapabilities', 3, false),
      avp('hostName', 'vm'),
      avp('vendorName', 'L2TP', false),
      avp('assignedTunnelId', this.tunnelId),
      avp('receiveWindowSize', 16, false),
      ...extra,
    ]);
  }

  icrp(extra: readonly Avp[] = []): void {
    this.send(
      [avp('messageType', MessageType.ICRP), avp('assignedSessionId', this.sessionId), ...extra],
      this.clientSessionId,
    );
  }

  hello(): void {
    this.send([avp('messageType', MessageType.HELLO)]);
  }

  stopCcn(result: number, error?: number, message?: string): void {
    this.send([
      avp('messageType', MessageType.StopCCN),
      avp('assignedTunnelId', this.tunnelId),
      avp('resultCode', {
        result,
        ...(error === undefined ? {} : { error }),
        ...(message ? { message } : {}),
      }),
    ]);
  }

  cdn(result: number, error?: number, message?: string): void {
    this.send(
      [
        avp('messageType', MessageType.CDN),
        avp('resultCode', {
          result,
          ...(error === undefined ? {} : { error }),
          ...(message ? { message } : {}),
        }),
        avp('assignedSessionId', this.sessionId),
      ],
      this.clientSessionId,
    );
  }

  /** A data message like SoftEther's SendL2TPDataPacket: L bit, no sequence numbers. */
  dataSoftEther(ppp: Uint8Array): void {
    const d = new Uint8Array(8 + ppp.length);
    const v = new DataView(d.buffer);
    v.setUint16(0, 0x4002);
    v.setUint16(2, d.length);
    v.setUint16(4, this.clientTunnelId);
    v.setUint16(6, this.clientSessionId);
    d.set(ppp, 8);
    this.deliverTo?.(d);
  }

  /** A data message with the S bit (Linux kernel l2tp_core with sequencing on). */
  dataSequenced(ppp: Uint8Array, ns: number): void {
    const d = new Uint8Array(10 + ppp.length);
    const v = new DataView(d.buffer);
    v.setUint16(0, 0x0802);
    v.setUint16(2, this.clientTunnelId);
    v.setUint16(4, this.clientSessionId);
    v.setUint16(6, ns);
    v.setUint16(8, 0);
    d.set(ppp, 10);
    this.deliverTo?.(d);
  }
}
