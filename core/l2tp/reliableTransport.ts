/**
 * Reliable delivery of control messages for one tunnel (RFC 2661 §5.8, Appendix A without slow start):
 * Ns/Nr, a send window of the peer's Receive Window Size, retransmission with exponential backoff and a
 * retry limit, delayed ZLB acknowledgements, in-order delivery through a small reorder buffer, duplicates
 * acknowledged but not redelivered. Knows nothing about message meanings; time comes from the injected Clock.
 */
import type { Clock, TimerHandle } from '../common/clock';
import type { Logger } from '../common/log';
import type { Avp } from './avp';
import { messageTypeName } from './constants';
import { CONTROL_NR_OFFSET, type ControlMessage, encodeControlMessage } from './controlMessage';
import { type L2tpCounters, newCounters } from './counters';
import { seqAdd, seqDistance } from './sequence';

export interface RetransmitPolicy {
  /** First retransmission after this long; doubles each time (§5.8). */
  readonly initialMs: number;
  /** Cap of the backoff. */
  readonly maxMs: number;
  /** Retransmissions before the control connection is declared dead (§5.8 recommends 5). */
  readonly maxRetries: number;
}

export const DEFAULT_RETRANSMIT: RetransmitPolicy = { initialMs: 1000, maxMs: 8000, maxRetries: 5 };
/** RFC 2661 §5.8: the Receive Window Size assumed when the peer sends none. */
export const DEFAULT_PEER_WINDOW = 4;
export const DEFAULT_ACK_DELAY_MS = 100;
export const DEFAULT_RECEIVE_WINDOW = 8;

export interface TransportFailure {
  /** Type of the message that ran out of retries. */
  readonly messageType: number | null;
  readonly retries: number;
  /** Time from its first transmission to giving up. */
  readonly elapsedMs: number;
}

export interface ReliableTransportOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Puts an encoded control message on the wire (each call gets its own buffer). */
  readonly output: (datagram: Uint8Array) => void;
  /** Every non-ZLB control message, in Ns order, exactly once. */
  readonly deliver: (msg: ControlMessage) => void;
  /** A message exhausted its retries: the control connection is dead. Called once. */
  readonly onFailure: (failure: TransportFailure) => void;
  readonly counters?: L2tpCounters;
  readonly retransmit?: Partial<RetransmitPolicy>;
  readonly ackDelayMs?: number;
  /** The Receive Window Size we advertise: how far ahead of Nr we buffer out-of-order messages. */
  readonly receiveWindow?: number;
  readonly peerWindow?: number;
}

interface Outgoing {
  readonly sessionId: number;
  readonly tunnelId: number;
  readonly avps: readonly Avp[];
  readonly type: number | null;
  readonly resolve: (acked: boolean) => void;
  ns: number;
  datagram: Uint8Array | null;
  firstSentAt: number;
  retries: number;
  deadline: number;
}

export type TransportState = 'running' | 'stopped' | 'failed' | 'disposed';

export class ReliableTransport {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: RetransmitPolicy;
  private readonly ackDelayMs: number;
  readonly receiveWindow: number;
  readonly counters: L2tpCounters;
  private peerWindow: number;
  private peerTunnelIdValue = 0;
  private ns = 0;
  private nr = 0;
  private lastNrSent = -1;
  private readonly queue: Outgoing[] = [];
  private readonly inflight: Outgoing[] = [];
  private readonly reorder = new Map<number, ControlMessage>();
  private retransmitTimer: TimerHandle | null = null;
  private retransmitAt = Number.POSITIVE_INFINITY;
  private ackTimer: TimerHandle | null = null;
  private stateValue: TransportState = 'running';

  constructor(private readonly opts: ReliableTransportOptions) {
    this.clock = opts.clock;
    this.log = opts.logger;
    this.policy = { ...DEFAULT_RETRANSMIT, ...opts.retransmit };
    this.ackDelayMs = opts.ackDelayMs ?? DEFAULT_ACK_DELAY_MS;
    this.receiveWindow = Math.max(1, Math.min(opts.receiveWindow ?? DEFAULT_RECEIVE_WINDOW, 0x7fff));
    this.peerWindow = Math.max(1, opts.peerWindow ?? DEFAULT_PEER_WINDOW);
    this.counters = opts.counters ?? newCounters();
  }

  get state(): TransportState {
    return this.stateValue;
  }

  /** Next Ns we will assign. */
  get nextNs(): number {
    return this.ns;
  }

  /** Next Ns we expect from the peer (the Nr we send). */
  get expectedNs(): number {
    return this.nr;
  }

  /** Messages sent but not yet acknowledged, plus those waiting for window space. */
  get pending(): number {
    return this.inflight.length + this.queue.length;
  }

  /** The peer's Assigned Tunnel ID (0 until set). */
  get peerTunnelId(): number {
    return this.peerTunnelIdValue;
  }

  /** Tunnel ID for messages queued from now on and for ZLBs (the peer's Assigned Tunnel ID). */
  setPeerTunnelId(id: number): void {
    this.peerTunnelIdValue = id;
  }

  /** The peer's Receive Window Size AVP (§5.8); 0 is treated as 1. */
  setPeerWindow(size: number): void {
    this.peerWindow = Math.max(1, size);
    this.pump();
  }

  /**
   * Queues a control message. Resolves true once the peer acknowledged it, false if the transport failed
   * or stopped first. Never rejects.
   */
  send(sessionId: number, avps: readonly Avp[]): Promise<boolean> {
    if (this.stateValue !== 'running') return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const first = avps[0];
      this.queue.push({
        sessionId,
        tunnelId: this.peerTunnelIdValue,
        avps,
        type: first?.name === 'messageType' ? first.value : null,
        resolve,
        ns: -1,
        datagram: null,
        firstSentAt: 0,
        retries: 0,
        deadline: 0,
      });
      this.pump();
    });
  }

  /** Handles a decoded control message addressed to this tunnel (ZLB or not). */
  receive(msg: ControlMessage): void {
    if (this.stateValue === 'disposed') return;
    this.processAck(msg.nr);
    if (msg.avps.length === 0) {
      this.counters.zlbReceived++;
      return;
    }
    const d = seqDistance(msg.ns, this.nr);
    if (d >= 0x8000) {
      // §5.8: already received; acknowledge again (whatever carried our ack was lost) but do not redeliver.
      this.counters.duplicates++;
      this.clearAckTimer();
      this.sendZlb();
      return;
    }
    if (d >= this.receiveWindow) {
      this.counters.outOfWindow++;
      this.log.debug('control message beyond receive window dropped', { ns: msg.ns, expected: this.nr });
      return;
    }
    if (d > 0) {
      if (this.reorder.has(msg.ns)) this.counters.duplicates++;
      else {
        this.reorder.set(msg.ns, msg);
        this.counters.reordered++;
      }
      return;
    }
    this.accept(msg);
    for (let next = this.reorder.get(this.nr); next; next = this.reorder.get(this.nr)) {
      this.reorder.delete(this.nr);
      this.accept(next);
    }
    // Delivery may have stopped or disposed us: read the state afresh.
    const state = this.state;
    if (state === 'running') this.scheduleAck();
    else if (state !== 'disposed') this.ackNow();
  }

  private accept(msg: ControlMessage): void {
    if (this.stateValue === 'disposed') return;
    this.nr = seqAdd(this.nr, 1);
    if (this.stateValue !== 'running') return;
    this.counters.controlReceived++;
    this.opts.deliver(msg);
  }

  /** Sends a ZLB now if anything received is still unacknowledged. */
  ackNow(): void {
    if (this.stateValue === 'disposed') return;
    this.clearAckTimer();
    if (this.lastNrSent === this.nr) return;
    this.sendZlb();
  }

  /** Stops sending and retransmitting; pending sends resolve false. Still acknowledges what arrives. */
  stop(): void {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'stopped';
    this.abandon();
  }

  /** Forgets the tunnel: no timers, nothing sent or acknowledged any more. */
  dispose(): void {
    if (this.stateValue === 'disposed') return;
    this.stateValue = 'disposed';
    this.abandon();
    this.clearAckTimer();
    this.reorder.clear();
  }

  private abandon(): void {
    this.clearRetransmitTimer();
    const all = [...this.inflight, ...this.queue];
    this.inflight.length = 0;
    this.queue.length = 0;
    for (const o of all) o.resolve(false);
  }

  private pump(): void {
    while (this.stateValue === 'running' && this.queue.length > 0 && this.inflight.length < this.peerWindow) {
      const o = this.queue.shift()!;
      o.ns = this.ns;
      this.ns = seqAdd(this.ns, 1);
      o.datagram = encodeControlMessage({
        tunnelId: o.tunnelId,
        sessionId: o.sessionId,
        ns: o.ns,
        nr: this.nr,
        avps: o.avps,
      });
      o.firstSentAt = this.clock.now();
      o.deadline = o.firstSentAt + this.backoff(0);
      this.inflight.push(o);
      this.counters.controlSent++;
      this.log.debug('control send', { type: messageTypeName(o.type), ns: o.ns, nr: this.nr });
      this.transmit(o);
    }
    this.armRetransmitTimer();
  }

  private transmit(o: Outgoing): void {
    const copy = o.datagram!.slice();
    // §5.8: a retransmission keeps its Ns but carries the current Nr.
    copy[CONTROL_NR_OFFSET] = this.nr >> 8;
    copy[CONTROL_NR_OFFSET + 1] = this.nr & 0xff;
    this.noteAckCarried();
    this.opts.output(copy);
  }

  private sendZlb(): void {
    this.noteAckCarried();
    this.counters.zlbSent++;
    this.opts.output(
      encodeControlMessage({
        tunnelId: this.peerTunnelIdValue,
        sessionId: 0,
        ns: this.ns,
        nr: this.nr,
        avps: [],
      }),
    );
  }

  private noteAckCarried(): void {
    this.lastNrSent = this.nr;
    this.clearAckTimer();
  }

  private processAck(nr: number): void {
    const base = this.inflight.length > 0 ? this.inflight[0]!.ns : this.ns;
    const acked = seqDistance(nr, base);
    // Zero: nothing new. At or past half the sequence space: a stale Nr from an old or reordered message.
    if (acked === 0 || acked >= 0x8000) return;
    if (acked > this.inflight.length) {
      this.counters.badAcks++;
      return;
    }
    const done = this.inflight.splice(0, acked);
    for (const o of done) o.resolve(true);
    this.pump();
  }

  private backoff(retries: number): number {
    return Math.min(this.policy.initialMs * 2 ** retries, this.policy.maxMs);
  }

  private armRetransmitTimer(): void {
    let at = Number.POSITIVE_INFINITY;
    for (const o of this.inflight) at = Math.min(at, o.deadline);
    if (at === this.retransmitAt && this.retransmitTimer !== null) return;
    this.clearRetransmitTimer();
    if (at === Number.POSITIVE_INFINITY) return;
    this.retransmitAt = at;
    this.retransmitTimer = this.clock.setTimeout(
      () => {
        this.retransmitTimer = null;
        this.retransmitAt = Number.POSITIVE_INFINITY;
        this.onRetransmitTimer();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private onRetransmitTimer(): void {
    if (this.stateValue !== 'running') return;
    const now = this.clock.now();
    for (const o of this.inflight) {
      if (o.deadline > now) continue;
      if (o.retries >= this.policy.maxRetries) {
        this.fail(o, now);
        return;
      }
      o.retries++;
      o.deadline = now + this.backoff(o.retries);
      this.counters.controlRetransmitted++;
      this.log.debug('control retransmit', { type: messageTypeName(o.type), ns: o.ns, retry: o.retries });
      this.transmit(o);
    }
    this.armRetransmitTimer();
  }

  private fail(o: Outgoing, now: number): void {
    this.stateValue = 'failed';
    const failure = { messageType: o.type, retries: o.retries, elapsedMs: now - o.firstSentAt };
    this.log.warn('control message not acknowledged, giving up', {
      type: messageTypeName(o.type),
      ns: o.ns,
      retries: o.retries,
      elapsedMs: failure.elapsedMs,
    });
    this.abandon();
    this.opts.onFailure(failure);
  }

  private scheduleAck(): void {
    if (this.lastNrSent === this.nr || this.ackTimer !== null) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = null;
      if (this.stateValue !== 'disposed' && this.lastNrSent !== this.nr) this.sendZlb();
    }, this.ackDelayMs);
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== null) {
      this.clock.clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
  }

  private clearRetransmitTimer(): void {
    if (this.retransmitTimer !== null) {
      this.clock.clearTimeout(this.retransmitTimer);
      this.retransmitTimer = null;
      this.retransmitAt = Number.POSITIVE_INFINITY;
    }
  }
}
