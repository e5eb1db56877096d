/**
 * An L2TP control connection, initiator (LAC) side (RFC 2661 §7.2.1): SCCRQ → SCCRP → SCCCN, HELLO
 * keepalive (§6.5), StopCCN either way (§5.7), and the routing of control and data messages to sessions.
 * Reliable delivery is ReliableTransport's job; the wire is the injected `send` callback.
 */
import type { Clock, TimerHandle } from '../common/clock';
import type { FerryError } from '../common/errors';
import { Emitter } from '../common/events';
import type { Logger } from '../common/log';
import { randomU32 } from '../common/random';
import { type Avp, avpLabel, findAvp } from './avp';
import type { ResultCodeValue } from './avpValues';
import {
  ErrorCode,
  isKnownMessageType,
  isTunnelScope,
  MessageType,
  messageTypeName,
  StopCcnResult,
} from './constants';
import {
  type ControlMessage,
  decodeControlMessage,
  isControlDatagram,
  messageTypeOf,
} from './controlMessage';
import { countMalformed, type L2tpCounters, newCounters } from './counters';
import { newDataHeaderFields, parseDataHeader } from './dataMessage';
import { withDeadline } from './deadline';
import {
  closedLocally,
  invalidState,
  peerStop,
  protocolError,
  retryLimit,
  tunnelAuthUnsupported,
  tunnelGone,
  tunnelTimeout,
  unknownMandatoryAvp,
} from './errors';
import { IdleProbe } from './keepalive';
import {
  buildHello,
  buildScccn,
  buildSccrq,
  buildStopCcn,
  parseSccrp,
  parseStopCcn,
  type Sccrp,
  unacceptableAvp,
  unacceptableViolation,
  type Violation,
} from './messages';
import { DEFAULT_RECEIVE_WINDOW, ReliableTransport, type TransportFailure } from './reliableTransport';
import { L2tpSession, type L2tpSessionOptions, type SessionHost } from './session';
import {
  bearerTypeFor,
  framingTypeFor,
  type L2tpPeerInfo,
  type L2tpTunnelEvents,
  type L2tpTunnelOptions,
  type L2tpTunnelState,
  TUNNEL_DEFAULTS,
} from './tunnelTypes';

export type { L2tpPeerInfo, L2tpTunnelEvents, L2tpTunnelOptions, L2tpTunnelState };

export class L2tpTunnel {
  readonly counters: L2tpCounters = newCounters();
  private readonly emitter = new Emitter<L2tpTunnelEvents>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly transport: ReliableTransport;
  private readonly sessions = new Map<number, L2tpSession>();
  private readonly dataHeader = newDataHeaderFields();
  private stateValue: L2tpTunnelState = 'idle';
  private localId = 0;
  private peerInfo: L2tpPeerInfo | null = null;
  private errorValue: FerryError | null = null;
  private openPromise: Promise<void> | null = null;
  private pendingOpen: { resolve: () => void; reject: (e: FerryError) => void } | null = null;
  private closePromise: Promise<void> | null = null;
  private establishTimer: TimerHandle | null = null;
  private lingerTimer: TimerHandle | null = null;
  private readonly keepalive: IdleProbe;
  private nextCallSerial = 1;
  private readonly sessionHost: SessionHost;

  constructor(private readonly opts: L2tpTunnelOptions) {
    this.clock = opts.clock;
    this.log = opts.logger.child('l2tp');
    for (const [name, v] of [
      ['hostName', opts.hostName],
      ['vendorName', opts.vendorName],
    ] as const) {
      if (v !== undefined && (v.length === 0 || new TextEncoder().encode(v).length > 1017))
        throw new RangeError(`${name} must be 1..1017 octets`);
    }
    this.transport = new ReliableTransport({
      clock: opts.clock,
      logger: this.log,
      counters: this.counters,
      output: (d) => this.output(d),
      deliver: (m) => this.onControl(m),
      onFailure: (f) => this.onTransportFailure(f),
      retransmit: opts.retransmit,
      ackDelayMs: opts.ackDelayMs,
      receiveWindow: opts.receiveWindow ?? DEFAULT_RECEIVE_WINDOW,
    });
    this.keepalive = new IdleProbe(
      opts.clock,
      opts.helloIntervalMs ?? TUNNEL_DEFAULTS.helloIntervalMs,
      () => {
        // §6.5: probe the peer, unless a message already in flight does that through its retransmissions.
        if (this.transport.pending === 0) void this.transport.send(0, buildHello());
      },
    );
    const tunnel = this;
    this.sessionHost = {
      clock: opts.clock,
      logger: this.log,
      counters: this.counters,
      get peerTunnelId() {
        return tunnel.peerInfo?.tunnelId ?? 0;
      },
      get peerBearerType() {
        return bearerTypeFor(tunnel.peerInfo);
      },
      get framingType() {
        return framingTypeFor(tunnel.peerInfo);
      },
      closeTimeoutMs: opts.closeTimeoutMs ?? TUNNEL_DEFAULTS.closeTimeoutMs,
      sendControl: (sessionId, avps) => this.transport.send(sessionId, avps),
      sendData: (d) => this.opts.send(d),
      ...(this.opts.sendParts ? { sendDataParts: this.opts.sendParts } : {}),
      forget: (s) => {
        if (this.sessions.get(s.localSessionId) === s) this.sessions.delete(s.localSessionId);
      },
    };
  }

  get state(): L2tpTunnelState {
    return this.stateValue;
  }

  /** Our Assigned Tunnel ID (0 before open()). */
  get localTunnelId(): number {
    return this.localId;
  }

  /** The LNS as described by its SCCRP, once received. */
  get peer(): L2tpPeerInfo | null {
    return this.peerInfo;
  }

  /** Why the tunnel closed, or null. */
  get error(): FerryError | null {
    return this.errorValue;
  }

  on<K extends keyof L2tpTunnelEvents>(event: K, fn: L2tpTunnelEvents[K]): () => void {
    return this.emitter.on(event, fn);
  }

  /** Sends SCCRQ; resolves once SCCRP arrived and SCCCN is sent (§7.2.1: established). */
  open(): Promise<void> {
    if (this.openPromise) return this.openPromise;
    if (this.stateValue !== 'idle')
      return Promise.reject(invalidState('l2tp-tunnel', 'open()', this.stateValue));
    this.openPromise = new Promise<void>((resolve, reject) => {
      this.pendingOpen = { resolve, reject };
    });
    do this.localId = randomU32(this.opts.random) & 0xffff;
    while (this.localId === 0);
    this.setState('connecting');
    this.log.info('opening tunnel', { localTunnelId: this.localId });
    const timeout = this.opts.establishTimeoutMs ?? TUNNEL_DEFAULTS.establishTimeoutMs;
    this.establishTimer = this.clock.setTimeout(() => {
      this.establishTimer = null;
      if (this.stateValue === 'connecting')
        this.finish(tunnelTimeout(`no SCCRP within ${Math.round(timeout / 1000)} s`));
    }, timeout);
    void this.transport.send(
      0,
      buildSccrq({
        assignedTunnelId: this.localId,
        receiveWindow: this.transport.receiveWindow,
        hostName: this.opts.hostName ?? TUNNEL_DEFAULTS.hostName,
        vendorName: this.opts.vendorName ?? TUNNEL_DEFAULTS.vendorName,
        firmwareRevision: this.opts.firmwareRevision ?? TUNNEL_DEFAULTS.firmwareRevision,
      }),
    );
    return this.openPromise;
  }

  /** Opens an incoming-call session (ICRQ/ICRP/ICCN). Waits for the tunnel if it is still opening. */
  async openSession(options: L2tpSessionOptions = {}): Promise<L2tpSession> {
    if (this.stateValue === 'connecting') await this.openPromise;
    if (this.stateValue !== 'established')
      throw invalidState('l2tp-session', 'openSession()', `tunnel ${this.stateValue}`);
    let id: number;
    do id = randomU32(this.opts.random) & 0xffff;
    while (id === 0 || this.sessions.has(id));
    const session = new L2tpSession(this.sessionHost, id, this.nextCallSerial++, options);
    this.sessions.set(id, session);
    await session.start();
    return session;
  }

  /** Feeds one L2TP message (the UDP 1701 payload) from the server. Never throws. */
  receive(datagram: Uint8Array): void {
    if (this.transport.state === 'disposed') return;
    try {
      if (isControlDatagram(datagram)) this.receiveControl(datagram);
      else this.receiveData(datagram);
    } catch (e) {
      // Only a throwing PPP handler or send callback can get here; the datagram is dropped, the tunnel lives.
      countMalformed(this.counters, 'handler-threw');
      this.log.error('exception while handling an L2TP message', { error: e });
    }
  }

  /** CDN for every session, StopCCN (Result Code 1), then waits for its acknowledgement up to the close timeout. */
  close(message?: string): Promise<void> {
    if (this.closePromise) return this.closePromise;
    if (this.stateValue === 'closed') return Promise.resolve();
    if (this.stateValue === 'idle' || this.stateValue === 'connecting' || this.peerInfo === null) {
      this.finish(null);
      return Promise.resolve();
    }
    for (const s of [...this.sessions.values()]) void s.close(message);
    this.closePromise = this.stopAndFinish(
      { result: StopCcnResult.GeneralClear, error: ErrorCode.None, message },
      null,
    );
    return this.closePromise;
  }

  /** Stops every timer at once; the tunnel ignores everything afterwards. */
  dispose(): void {
    if (this.stateValue !== 'closed') this.finish(closedLocally('l2tp-tunnel', 'tunnel disposed'));
    this.clearTimer('lingerTimer');
    this.transport.dispose();
  }

  private output(datagram: Uint8Array): void {
    try {
      this.opts.send(datagram);
    } catch (e) {
      this.log.warn('send callback threw', { error: e });
    }
  }

  private receiveControl(datagram: Uint8Array): void {
    const res = decodeControlMessage(datagram);
    if (!res.ok) {
      countMalformed(this.counters, `control-${res.error.code}`);
      this.log.debug('malformed control message dropped', { reason: res.error.message });
      return;
    }
    const msg = res.value;
    if (this.localId === 0 || msg.tunnelId !== this.localId) {
      countMalformed(this.counters, 'wrong-tunnel');
      return;
    }
    this.keepalive.heard();
    this.transport.receive(msg);
  }

  private receiveData(datagram: Uint8Array): void {
    const h = this.dataHeader;
    const problem = parseDataHeader(datagram, h);
    if (problem !== null) {
      countMalformed(this.counters, `data-${problem}`);
      return;
    }
    if (h.tunnelId !== this.localId || this.localId === 0) {
      countMalformed(this.counters, 'wrong-tunnel');
      return;
    }
    const session = this.sessions.get(h.sessionId);
    if (session?.state !== 'established') {
      countMalformed(this.counters, 'unknown-session');
      return;
    }
    this.keepalive.heard();
    const c = this.counters;
    c.dataFramesIn++;
    c.dataBytesIn += h.payloadEnd - h.payloadStart;
    session.handleData(datagram.subarray(h.payloadStart, h.payloadEnd), h.ns);
  }

  private onControl(msg: ControlMessage): void {
    const type = messageTypeOf(msg) ?? 0;
    this.log.debug('control receive', { type: messageTypeName(type), ns: msg.ns, nr: msg.nr });
    if (this.stateValue === 'closed') return;
    if (type === MessageType.SCCRP && this.stateValue === 'connecting') {
      // Even an SCCRP we refuse tells us where to address the StopCCN (§6.4).
      const peerId = findAvp(msg.avps, 'assignedTunnelId');
      if (peerId) this.transport.setPeerTunnelId(peerId);
    }
    const bad = unacceptableAvp(msg.avps);
    if (bad) {
      const v = unacceptableViolation(bad);
      if (isTunnelScope(type) || !isKnownMessageType(type))
        this.violation(v, unknownMandatoryAvp('l2tp-tunnel', avpLabel(bad), type, bad.hidden));
      else this.sessionFor(msg, type)?.rejectMandatoryAvp(msg, type, bad, v);
      return;
    }
    if (!isKnownMessageType(type)) {
      // §4.4.1: an unknown Message Type with the M bit set clears the tunnel; without it, ignore the message.
      if (msg.avps[0]?.mandatory)
        this.violation(
          {
            resultCode: StopCcnResult.GeneralError,
            errorCode: ErrorCode.OutOfRange,
            message: `unknown message type ${type}`,
          },
          protocolError('l2tp-tunnel', `unknown mandatory message type ${type}`),
        );
      else countMalformed(this.counters, 'unknown-message-type');
      return;
    }
    switch (type) {
      case MessageType.SCCRP:
        if (this.stateValue === 'connecting') this.onSccrp(msg.avps);
        else this.unexpected(type);
        return;
      case MessageType.StopCCN:
        this.onPeerStop(msg.avps);
        return;
      case MessageType.HELLO:
        return; // §6.5: acknowledged by the transport, nothing else to do.
      case MessageType.SCCRQ:
      case MessageType.SCCCN:
        this.unexpected(type);
        return;
      default: {
        const session = this.sessionFor(msg, type);
        if (session) session.handleControl(type, msg);
        else countMalformed(this.counters, 'unknown-session');
      }
    }
  }

  /** The session a session-scope message is for: by header Session ID, or for a CDN with 0 by its AVP. */
  private sessionFor(msg: ControlMessage, type: number): L2tpSession | undefined {
    if (msg.sessionId !== 0) return this.sessions.get(msg.sessionId);
    if (type !== MessageType.CDN) return undefined;
    const peerId = findAvp(msg.avps, 'assignedSessionId');
    for (const s of this.sessions.values()) if (peerId !== undefined && s.peerSessionId === peerId) return s;
    return undefined;
  }

  private onSccrp(avps: readonly Avp[]): void {
    const res = parseSccrp(avps);
    if (!res.ok) {
      this.violation(res.error, protocolError('l2tp-tunnel', `SCCRP: ${res.error.message}`));
      return;
    }
    const p: Sccrp = res.value;
    this.transport.setPeerTunnelId(p.assignedTunnelId);
    if (p.challenge) {
      this.violation(
        {
          resultCode: StopCcnResult.GeneralError,
          errorCode: ErrorCode.VendorSpecific,
          message: 'tunnel authentication not supported',
        },
        tunnelAuthUnsupported(),
      );
      return;
    }
    if (p.missing.length) this.log.warn('SCCRP lacks mandatory AVPs; carrying on', { missing: p.missing });
    const window = p.receiveWindowSize ?? 4;
    this.transport.setPeerWindow(window);
    this.peerInfo = {
      tunnelId: p.assignedTunnelId,
      receiveWindowSize: window,
      hostName: p.hostName,
      vendorName: p.vendorName,
      firmwareRevision: p.firmwareRevision,
      framingCapabilities: p.framingCapabilities,
      bearerCapabilities: p.bearerCapabilities,
    };
    void this.transport.send(0, buildScccn());
    this.clearTimer('establishTimer');
    this.setState('established');
    this.log.info('tunnel established', {
      localTunnelId: this.localId,
      peerTunnelId: p.assignedTunnelId,
      peerHost: p.hostName ?? null,
      peerVendor: p.vendorName ?? null,
      peerWindow: window,
    });
    this.keepalive.start();
    const pending = this.pendingOpen;
    this.pendingOpen = null;
    pending?.resolve();
  }

  private onPeerStop(avps: readonly Avp[]): void {
    const stop = parseStopCcn(avps);
    if (this.stateValue === 'closing') {
      // Crossing StopCCNs: the tunnel is down either way; keep our own reason.
      this.finish(this.errorValue);
      return;
    }
    this.log.info('peer stopped the tunnel', { result: stop.result?.result, error: stop.result?.error });
    this.finish(peerStop(stop.result));
  }

  private unexpected(type: number): void {
    if (this.stateValue === 'closing') return;
    this.violation(
      {
        resultCode: StopCcnResult.FsmError,
        errorCode: ErrorCode.None,
        message: `unexpected ${messageTypeName(type)}`,
      },
      protocolError('l2tp-tunnel', `unexpected ${messageTypeName(type)} while ${this.stateValue}`),
    );
  }

  /** The peer broke the protocol at tunnel scope: StopCCN with the matching codes, then closed with `error`. */
  private violation(v: Violation, error: FerryError): void {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
    this.log.warn('stopping tunnel', { reason: v.message, code: error.code });
    const result: ResultCodeValue = { result: v.resultCode, error: v.errorCode, message: v.message };
    this.closePromise = this.stopAndFinish(result, error);
  }

  private async stopAndFinish(result: ResultCodeValue, error: FerryError | null): Promise<void> {
    // A StopCCN needs the peer's tunnel ID (§6.4) and a live transport.
    if (this.transport.state !== 'running' || this.transport.peerTunnelId === 0) {
      this.finish(error);
      return;
    }
    this.errorValue = error;
    this.failOpen(error ?? closedLocally('l2tp-tunnel', 'opening the tunnel'));
    this.setState('closing');
    const acked = this.transport.send(0, buildStopCcn(this.localId, result));
    const ms = this.opts.closeTimeoutMs ?? TUNNEL_DEFAULTS.closeTimeoutMs;
    if (!(await withDeadline(this.clock, acked, ms, false)))
      this.log.debug('StopCCN not acknowledged in time');
    this.finish(error);
  }

  private onTransportFailure(f: TransportFailure): void {
    const detail = `${f.retries} retransmissions over ${Math.round(f.elapsedMs / 1000)} s`;
    this.finish(
      this.stateValue === 'connecting'
        ? tunnelTimeout(detail)
        : retryLimit('l2tp-tunnel', f.messageType, f.retries, f.elapsedMs),
    );
  }

  /** Ends the tunnel: sessions, timers, pending promises, event. Idempotent. */
  private finish(error: FerryError | null): void {
    if (this.stateValue === 'closed') return;
    this.errorValue = error;
    this.clearTimer('establishTimer');
    this.keepalive.stop();
    this.transport.stop();
    this.failOpen(error ?? closedLocally('l2tp-tunnel', 'opening the tunnel'));
    for (const s of [...this.sessions.values()]) s.terminate(tunnelGone(error));
    this.sessions.clear();
    this.setState('closed');
    if (error) this.log.warn('tunnel closed', { error });
    else this.log.info('tunnel closed');
    this.emitter.emit('closed', error);
    this.lingerTimer = this.clock.setTimeout(() => {
      this.lingerTimer = null;
      this.transport.dispose();
    }, this.opts.lingerMs ?? TUNNEL_DEFAULTS.lingerMs);
  }

  private failOpen(e: FerryError): void {
    const p = this.pendingOpen;
    this.pendingOpen = null;
    p?.reject(e);
  }

  private clearTimer(which: 'establishTimer' | 'lingerTimer'): void {
    const t = this[which];
    if (t !== null) {
      this.clock.clearTimeout(t);
      this[which] = null;
    }
  }

  private setState(next: L2tpTunnelState): void {
    const prev = this.stateValue;
    if (prev === next) return;
    this.stateValue = next;
    this.log.debug('tunnel state', { from: prev, to: next });
    this.emitter.emit('state', next, prev);
  }
}
