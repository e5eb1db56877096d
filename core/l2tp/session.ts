/**
 * One L2TP session, LAC side of an incoming call (RFC 2661 §7.4.1): ICRQ → ICRP → ICCN, CDN either way;
 * PPP frames travel in data messages (§5.4). Created and driven by L2tpTunnel.
 */
import type { Clock, TimerHandle } from '../common/clock';
import type { FerryError } from '../common/errors';
import { Emitter } from '../common/events';
import type { Logger } from '../common/log';
import { type Avp, avpLabel, findAvp, type OpaqueAvp } from './avp';
import type { ResultCodeValue } from './avpValues';
import { CdnResult, ErrorCode, MessageType, messageTypeName } from './constants';
import type { ControlMessage } from './controlMessage';
import type { L2tpCounters } from './counters';
import { DataFramer } from './dataMessage';
import { withDeadline } from './deadline';
import { closedLocally, peerDisconnect, protocolError, sessionTimeout, unknownMandatoryAvp } from './errors';
import { buildCdn, buildIccn, buildIcrq, parseCdn, parseIcrp, type Violation } from './messages';
import { seqBefore } from './sequence';

export type L2tpSessionState = 'connecting' | 'established' | 'closing' | 'closed';

export interface L2tpSessionOptions {
  /** Send the Sequencing Required AVP and always put Ns on data messages (§4.4.6). Default: follow the LNS. */
  readonly sequencing?: boolean;
  /** Tx Connect Speed in the ICCN, bits/s (informational). */
  readonly txConnectSpeed?: number;
  /** How long to wait for the ICRP. */
  readonly establishTimeoutMs?: number;
}

export interface L2tpSessionEvents {
  state: (state: L2tpSessionState, previous: L2tpSessionState) => void;
  /** The session ended: null after a local close, else why. */
  closed: (error: FerryError | null) => void;
}

/** What a session needs from its tunnel. */
export interface SessionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: L2tpCounters;
  readonly peerTunnelId: number;
  readonly peerBearerType: number | undefined;
  readonly framingType: number;
  readonly closeTimeoutMs: number;
  sendControl(sessionId: number, avps: readonly Avp[]): Promise<boolean>;
  sendData(datagram: Uint8Array): void;
  /** Gather variant: the parts form one datagram; they are copied before this returns. */
  sendDataParts?(parts: readonly Uint8Array[]): void;
  forget(session: L2tpSession): void;
}

export const DEFAULT_CONNECT_SPEED = 100_000_000;
export const DEFAULT_SESSION_ESTABLISH_TIMEOUT_MS = 20_000;
const MAX_EARLY_FRAMES = 32;

export class L2tpSession {
  private readonly emitter = new Emitter<L2tpSessionEvents>();
  private stateValue: L2tpSessionState = 'connecting';
  private peerId = 0;
  private framer: DataFramer | null = null;
  private pppHandler: ((frame: Uint8Array) => void) | null = null;
  private readonly early: Uint8Array[] = [];
  private lastDataNs = -1;
  private errorValue: FerryError | null = null;
  private closingError: FerryError | null = null;
  private establishTimer: TimerHandle | null = null;
  private closePromise: Promise<void> | null = null;
  private pending: { resolve: () => void; reject: (e: FerryError) => void } | null = null;
  private readonly log: Logger;

  /** @internal Created by L2tpTunnel.openSession(). */
  constructor(
    private readonly host: SessionHost,
    readonly localSessionId: number,
    private readonly callSerialNumber: number,
    private readonly opts: L2tpSessionOptions = {},
  ) {
    this.log = host.logger.child(`session.${localSessionId}`);
  }

  get state(): L2tpSessionState {
    return this.stateValue;
  }

  /** The LNS's Assigned Session ID (0 until the ICRP). */
  get peerSessionId(): number {
    return this.peerId;
  }

  /** Why the session closed, or null. */
  get error(): FerryError | null {
    return this.errorValue;
  }

  /** Whether data messages currently carry Ns (required by us, or following the LNS, §5.4). */
  get sequencing(): boolean {
    return this.framer?.sequencing ?? this.opts.sequencing === true;
  }

  on<K extends keyof L2tpSessionEvents>(event: K, fn: L2tpSessionEvents[K]): () => void {
    return this.emitter.on(event, fn);
  }

  /** Sends one PPP frame (from the address/control field on). False, and nothing sent, unless established. */
  sendPpp(frame: Uint8Array): boolean {
    if (this.stateValue !== 'established' || !this.framer) return false;
    const datagram = this.framer.frame(frame);
    const c = this.host.counters;
    c.dataFramesOut++;
    c.dataBytesOut += frame.length;
    this.host.sendData(datagram);
    return true;
  }

  /**
   * The IP hot path: sends one PPP frame given as parts (e.g. the constant ff 03 00 21 header and the packet)
   * without assembling it here when the transport can gather.
   */
  sendPppParts(parts: readonly Uint8Array[]): boolean {
    if (this.stateValue !== 'established' || !this.framer) return false;
    const gather = this.host.sendDataParts;
    if (!gather) return this.sendPpp(concatParts(parts));
    let bytes = 0;
    for (const p of parts) bytes += p.length;
    const c = this.host.counters;
    c.dataFramesOut++;
    c.dataBytesOut += bytes;
    gather([this.framer.nextHeader(), ...parts]);
    return true;
  }

  /**
   * The single receiver of incoming PPP frames (a view into the datagram: copy to keep it). Frames that
   * arrived before a handler was set (at most 32) are handed over first.
   */
  onPpp(handler: (frame: Uint8Array) => void): () => void {
    this.pppHandler = handler;
    const early = this.early.splice(0);
    for (const f of early) if (this.pppHandler === handler) handler(f);
    return () => {
      if (this.pppHandler === handler) this.pppHandler = null;
    };
  }

  /** Sends CDN (Result Code 3, administrative) and waits for its acknowledgement, bounded by the close timeout. */
  close(message?: string): Promise<void> {
    if (this.closePromise) return this.closePromise;
    if (this.stateValue === 'closed') return Promise.resolve();
    const result: ResultCodeValue = { result: CdnResult.Administrative, error: ErrorCode.None, message };
    this.closePromise = this.sendCdnAndEnd(result, null);
    return this.closePromise;
  }

  /** @internal Sends the ICRQ; resolves once the LNS acknowledged our ICCN. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      const timeout = this.opts.establishTimeoutMs ?? DEFAULT_SESSION_ESTABLISH_TIMEOUT_MS;
      this.establishTimer = this.host.clock.setTimeout(() => {
        this.establishTimer = null;
        if (this.stateValue !== 'connecting') return;
        const e = sessionTimeout(`no ICRP within ${Math.round(timeout / 1000)} s`);
        void this.sendCdnAndEnd({ result: CdnResult.NotEstablishedInTime }, e);
      }, timeout);
      void this.host.sendControl(
        0,
        buildIcrq({
          assignedSessionId: this.localSessionId,
          callSerialNumber: this.callSerialNumber,
          bearerType: this.host.peerBearerType,
        }),
      );
    });
  }

  /** @internal A session-scope control message for this session, in order. */
  handleControl(type: number, msg: ControlMessage): void {
    if (this.stateValue === 'closed') return;
    if (type === MessageType.CDN) {
      if (this.stateValue === 'closing') {
        // Crossing CDNs (SoftEther answers ours with its own): the session ends for our reason.
        this.end(this.closingError);
        return;
      }
      const cdn = parseCdn(msg.avps);
      this.log.info('peer disconnected the call', { result: cdn.result?.result, error: cdn.result?.error });
      this.end(peerDisconnect(cdn.result, cdn.q931));
      return;
    }
    if (type === MessageType.ICRP && this.stateValue === 'connecting') {
      this.onIcrp(msg);
      return;
    }
    if (type === MessageType.SLI || type === MessageType.WEN) return; // §6.15/§6.14: ACCM and error counters; nothing to do for sync framing.
    if (this.stateValue === 'closing') return;
    this.violation(
      {
        resultCode: CdnResult.GeneralError,
        errorCode: ErrorCode.None,
        message: `unexpected ${messageTypeName(type)}`,
      },
      protocolError('l2tp-session', `unexpected ${messageTypeName(type)} in state ${this.stateValue}`),
    );
  }

  /** @internal A mandatory AVP Ferry cannot process arrived in a message for this session (§4.2). */
  rejectMandatoryAvp(msg: ControlMessage, type: number, bad: OpaqueAvp, violation: Violation): void {
    if (this.stateValue === 'closed') return;
    // An ICRP we refuse still names the LNS's session: address the CDN to it (§6.13).
    const peerId = type === MessageType.ICRP ? findAvp(msg.avps, 'assignedSessionId') : undefined;
    if (this.peerId === 0 && peerId) this.peerId = peerId;
    const what = avpLabel(bad);
    const hidden = bad.hidden;
    this.violation(violation, unknownMandatoryAvp('l2tp-session', what, type, hidden));
  }

  /** @internal One PPP frame from a data message; ns is -1 without the S bit. */
  handleData(frame: Uint8Array, ns: number): void {
    if (this.stateValue !== 'established') return;
    if (ns >= 0) {
      if (this.lastDataNs >= 0 && seqBefore(ns, this.lastDataNs)) this.host.counters.dataOutOfOrder++;
      this.lastDataNs = ns;
    }
    // §5.4: without Sequencing Required the LNS decides, by sending Ns or not, whether we send Ns.
    if (this.opts.sequencing !== true && this.framer) this.framer.sequencing = ns >= 0;
    if (this.pppHandler) this.pppHandler(frame);
    else if (this.early.length < MAX_EARLY_FRAMES) this.early.push(frame.slice());
  }

  /** @internal The tunnel is gone (StopCCN, failure or local close); no CDN is sent (§5.7). */
  terminate(error: FerryError | null): void {
    this.end(error);
  }

  private onIcrp(msg: ControlMessage): void {
    const icrp = parseIcrp(msg.avps);
    if (!icrp.ok) {
      this.violation(icrp.error, protocolError('l2tp-session', `ICRP: ${icrp.error.message}`));
      return;
    }
    this.peerId = icrp.value.assignedSessionId;
    this.framer = new DataFramer(this.host.peerTunnelId, this.peerId, this.opts.sequencing === true);
    const speed = this.opts.txConnectSpeed ?? DEFAULT_CONNECT_SPEED;
    const acked = this.host.sendControl(
      this.peerId,
      buildIccn({
        txConnectSpeed: speed,
        framingType: this.host.framingType,
        rxConnectSpeed: speed,
        sequencingRequired: this.opts.sequencing === true,
      }),
    );
    this.clearEstablishTimer();
    // §7.4.1: established once the ICCN is sent; data from the LNS is accepted from now on. The caller
    // hears of it once the LNS acknowledged the ICCN, so its first PPP frames are not dropped there.
    this.setState('established');
    this.log.info('session established', { local: this.localSessionId, peer: this.peerId });
    void acked.then((ok) => {
      if (!ok || this.stateValue !== 'established') return;
      const p = this.pending;
      this.pending = null;
      p?.resolve();
    });
  }

  private violation(v: Violation, error: FerryError): void {
    this.log.warn('ending session', { reason: v.message, code: error.code });
    void this.sendCdnAndEnd({ result: v.resultCode, error: v.errorCode, message: v.message }, error);
  }

  private async sendCdnAndEnd(result: ResultCodeValue, error: FerryError | null): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.failPending(error ?? closedLocally('l2tp-session', 'opening the session'));
    this.closingError = error;
    this.setState('closing');
    const acked = this.host.sendControl(this.peerId, buildCdn(this.localSessionId, result));
    if (!(await withDeadline(this.host.clock, acked, this.host.closeTimeoutMs, false)))
      this.log.debug('CDN not acknowledged before the close deadline');
    this.end(error);
  }

  private end(error: FerryError | null): void {
    if (this.stateValue === 'closed') return;
    this.errorValue = error;
    this.failPending(error ?? closedLocally('l2tp-session', 'opening the session'));
    this.clearEstablishTimer();
    this.setState('closed');
    this.pppHandler = null;
    this.early.length = 0;
    this.host.forget(this);
    this.emitter.emit('closed', error);
  }

  private failPending(e: FerryError): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }

  private clearEstablishTimer(): void {
    if (this.establishTimer !== null) {
      this.host.clock.clearTimeout(this.establishTimer);
      this.establishTimer = null;
    }
  }

  private setState(next: L2tpSessionState): void {
    const prev = this.stateValue;
    if (prev === next) return;
    this.stateValue = next;
    this.emitter.emit('state', next, prev);
  }
}

function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
