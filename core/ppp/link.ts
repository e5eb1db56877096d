/**
 * A PPP link over an L2TP session (RFC 1661 §3 phases): LCP → authentication → IPCP (+ IPV6CP, CCP), then IP.
 * The L2TP layer hands us frames with receive() and sends ours through the `send` callback.
 */
import type { Clock, TimerHandle } from '../common/clock';
import { systemClock } from '../common/clock';
import type { FerryError } from '../common/errors';
import { Emitter } from '../common/events';
import { type Logger, silentLogger } from '../common/log';
import { type RandomSource, systemRandom } from '../common/random';
import { DEFAULT_AUTH_METHODS } from './auth/methods';
import { createAuthenticator } from './auth/select';
import { type Authenticator, type AuthSuccess, serverText } from './auth/types';
import { FrameCounters } from './counters';
import { type LegacyPrimitives, loadLegacyPrimitives } from './crypto/legacy';
import { ipcpEnded, type LinkFacts, lcpEnded, peerHungUp } from './diagnose';
import * as E from './errors';
import { decodeControlPacket, decodeFrame, encodeFrame, IP_FRAME_HEADER, IPV6_FRAME_HEADER } from './frame';
import { LcpOptions } from './lcp';
import { LcpExtras } from './lcpExtras';
import { buildNcps, type Ncps } from './ncps';
import { type FinishReason, Negotiation } from './negotiation';
import { ipv4ToString } from './options';
import { PhaseTracker } from './phases';
import { CODE, PROTO } from './protocol';
import { authTimers, secondFactorFailure } from './secondFactor';
import type { PppCounters, PppLinkEvents, PppLinkInfo, PppLinkOptions, PppLinkState } from './types';

const AUTH_PROTOCOLS: ReadonlySet<number> = new Set([PROTO.PAP, PROTO.CHAP, PROTO.EAP]);
const EARLY_FRAME_LIMIT = 8;

export class PppLink {
  readonly events = new Emitter<PppLinkEvents>();
  private st: PppLinkState = 'idle';
  private finalized = false;
  private begun = false;
  private established = false;
  private closeTimer: TimerHandle | null = null;
  private pending: { resolve(i: PppLinkInfo): void; reject(e: FerryError): void } | null = null;
  private readonly closeWaiters: Array<() => void> = [];
  private auth: Authenticator | null = null;
  private authResult: AuthSuccess | null = null;
  private authStarted = false;
  /** Clock time the authentication phase began (for the wait a push-MFA failure reports). */
  private authEnteredAt = 0;
  /** EAP methods the server proposed and we refused (kept across an LCP renegotiation, for the diagnosis). */
  private readonly eapRefused = new Set<string>();
  private primitives: LegacyPrimitives | null;
  private ipHandler: ((packet: Uint8Array) => void) | null = null;
  private ipv6Handler: ((packet: Uint8Array) => void) | null = null;
  private readonly early: Uint8Array[] = [];
  private readonly counters = new FrameCounters();
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly log: Logger;
  private readonly mru: number;
  private readonly lcpOpts: LcpOptions;
  private readonly lcp: Negotiation;
  private readonly extras: LcpExtras;
  private readonly ncps: Ncps;
  private readonly phases: PhaseTracker;

  constructor(private readonly opts: PppLinkOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.log = (opts.logger ?? silentLogger).child('ppp');
    this.mru = opts.mru ?? 1400;
    this.primitives = opts.primitives ?? null;
    this.phases = new PhaseTracker(
      this.clock,
      {
        lcp: opts.lcpTimeoutMs ?? 30_000,
        auth: opts.authTimeoutMs ?? authTimers(opts.mfa).authTimeoutMs,
        ipcp: opts.ipcpTimeoutMs ?? 30_000,
      },
      (e) => this.events.emit('phase', e),
      (e) => this.fail(e),
    );
    this.log.redactor.addSecret(opts.credentials.password);
    this.lcpOpts = new LcpOptions({
      mru: this.mru,
      magicNumber: opts.magicNumber ?? true,
      authMethods: opts.authMethods ?? DEFAULT_AUTH_METHODS,
      random: this.random,
      logger: this.log,
      onLoopback: () => this.fail(E.loopedBack()),
    });
    this.extras = new LcpExtras(this.lcpOpts, {
      clock: this.clock,
      logger: this.log,
      echoIntervalMs: opts.echoIntervalMs ?? 30_000,
      echoFailures: opts.echoFailures ?? 4,
      onProtocolReject: (p) => this.onProtocolReject(p),
      onLinkDead: (n) => {
        this.events.emit('link-dead');
        this.fail(E.linkDead(this.errorPhase(), n));
      },
    });
    this.lcpOpts.extraCode = (p, state) => this.extras.handle(p, state);
    this.lcp = new Negotiation(
      'LCP',
      this.lcpOpts,
      {
        up: () => this.lcpUp(),
        down: () => this.lcpDown(),
        finished: (r) => this.lcpFinished(r),
        peerTerminated: (data) => this.peerTerminated(data),
        malformed: (what) => this.malformed('LCP', what),
      },
      this.deps(PROTO.LCP),
      opts.lcp,
    );
    this.extras.attach(this.lcp);
    this.ncps = buildNcps(opts, this.random, this.log, (proto) => this.deps(proto), {
      ipcpUp: () => this.ipcpUp(),
      ipcpDown: () => {
        if (this.st === 'opened') this.setState('network');
      },
      ipcpFinished: (r) => this.ipcpFinished(r),
      ipv6Up: (info) => this.events.emit('ipv6-up', info),
      malformed: (what) => this.malformed('NCP', what),
    });
  }

  get state(): PppLinkState {
    return this.st;
  }

  /** Brings the link up; resolves once IPCP is open with an address, rejects with a FerryError. */
  start(): Promise<PppLinkInfo> {
    if (this.st !== 'idle') {
      return Promise.reject(E.negotiationFailed('lcp', `start() called in state ${this.st}`));
    }
    const done = new Promise<PppLinkInfo>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    this.setState('establish');
    if (this.primitives) this.begin();
    else {
      loadLegacyPrimitives().then(
        (p) => {
          this.primitives = p;
          if (this.st === 'establish' && !this.finalized) this.begin();
        },
        (e: unknown) => this.fail(E.negotiationFailed('auth', `crypto primitives unavailable: ${String(e)}`)),
      );
    }
    return done;
  }

  private begin(): void {
    this.begun = true;
    this.phases.enter('lcp');
    // A phase listener may have closed the link (e.g. the user cancelled): start nothing then.
    if (this.finalized || this.isTerminal()) return;
    this.lcp.up();
    this.lcp.open();
    for (const f of this.early.splice(0)) this.receive(f);
  }

  /** LCP Terminate (RFC 1661 §3.7) with a deadline; resolves when the link is down. */
  close(): Promise<void> {
    if (this.finalized) return Promise.resolve();
    const waiter = new Promise<void>((r) => this.closeWaiters.push(r));
    if (this.st === 'idle') {
      this.finalize('closed');
      return waiter;
    }
    if (this.st === 'closing' || this.st === 'failed') return waiter;
    const wasEstablished = this.established;
    this.stopActivity();
    this.setState('closing');
    this.pending?.reject(E.cancelled(this.phases.current ?? 'lcp'));
    this.pending = null;
    if (wasEstablished) this.events.emit('down', null);
    this.terminate('User request');
    return waiter;
  }

  /** Stops at once without saying goodbye: for when the path to the server is already gone. */
  abort(): void {
    if (this.finalized) return;
    const wasEstablished = this.established;
    this.stopActivity();
    this.pending?.reject(E.cancelled(this.phases.current ?? 'lcp'));
    this.pending = null;
    if (wasEstablished) this.events.emit('down', null);
    this.finalize('closed');
  }

  /**
   * RFC 1661 §4.1 Down: the layer below is gone (the server cleared the L2TP call or tunnel, or the carrier died),
   * so nothing can be sent or received any more and nothing is waited for — neither a Terminate-Ack nor the
   * restart period after acknowledging the server's Terminate-Request (§4.4 Stopping only gives that Ack time to
   * reach the peer). A link that was already ending (the server hung up on a rejected PAP) ends now with the error
   * it had; one still coming up, or up, fails with `cause` and says no goodbye.
   */
  lowerDown(cause: FerryError): void {
    if (this.finalized) return;
    if (!this.isTerminal()) this.fail(cause, false);
    this.finalize(this.st === 'closing' ? 'closed' : 'failed');
  }

  /** Sends one IPv4 packet; false (and counted) when the network layer is not open. */
  sendIp(packet: Uint8Array): boolean {
    if (this.st !== 'opened') {
      this.counters.ipDropped++;
      return false;
    }
    this.counters.countOut(PROTO.IP, packet.length + 4);
    if (this.opts.sendParts) this.opts.sendParts(IP_FRAME_HEADER, packet);
    else {
      const frame = new Uint8Array(4 + packet.length);
      frame.set(IP_FRAME_HEADER, 0);
      frame.set(packet, 4);
      this.opts.send(frame);
    }
    return true;
  }

  /** Sends one IPv6 packet when IPV6CP is open. */
  sendIpv6(packet: Uint8Array): boolean {
    if (this.st !== 'opened' || this.ncps.ipv6cp?.state !== 'opened') {
      this.counters.ipDropped++;
      return false;
    }
    this.counters.countOut(PROTO.IPV6, packet.length + 4);
    if (this.opts.sendParts) this.opts.sendParts(IPV6_FRAME_HEADER, packet);
    else this.opts.send(encodeFrame(PROTO.IPV6, packet));
    return true;
  }

  /** Receives IPv4 packets (a view into the frame: copy it to keep it). Returns an unsubscribe function. */
  onIp(handler: (packet: Uint8Array) => void): () => void {
    this.ipHandler = handler;
    return () => {
      if (this.ipHandler === handler) this.ipHandler = null;
    };
  }

  onIpv6(handler: (packet: Uint8Array) => void): () => void {
    this.ipv6Handler = handler;
    return () => {
      if (this.ipv6Handler === handler) this.ipv6Handler = null;
    };
  }

  counterSnapshot(): PppCounters {
    return this.counters.snapshot(this.extras);
  }

  /** One PPP frame from the L2TP session. Never throws. */
  receive(frame: Uint8Array): void {
    try {
      this.dispatch(frame);
    } catch (e) {
      this.counters.malformed++;
      this.log.error('PPP: internal error while handling a frame', {
        error: e instanceof Error ? e : String(e),
      });
    }
  }

  private dispatch(frame: Uint8Array): void {
    this.counters.bytesIn += frame.length;
    // Hot path: ff 03 00 21 + IPv4 packet, handed over as a view without decoding into objects.
    if (
      frame.length > 4 &&
      frame[0] === 0xff &&
      frame[1] === 0x03 &&
      frame[2] === 0x00 &&
      frame[3] === 0x21
    ) {
      this.counters.ipIn++;
      if (this.st === 'opened' && this.ipHandler) this.ipHandler(frame.subarray(4));
      else this.counters.ipDropped++;
      return;
    }
    const f = decodeFrame(frame);
    if (!f.ok) {
      this.counters.malformed++;
      return;
    }
    const { protocol, payload } = f.value;
    this.counters.countIn(protocol);
    if (protocol === PROTO.IP) {
      if (this.st === 'opened' && this.ipHandler) this.ipHandler(payload);
      else this.counters.ipDropped++;
      return;
    }
    if (!this.begun && !this.finalized) {
      // Frames before start() (or while the crypto primitives load) are replayed once LCP runs.
      if (this.early.length < EARLY_FRAME_LIMIT) this.early.push(frame.slice());
      return;
    }
    if (this.finalized) return;
    if (protocol === PROTO.LCP) {
      this.control(this.lcp, payload);
      return;
    }
    // RFC 1661 §3.4–3.6: nothing but LCP before Opened, nothing but LCP and auth before the network phase.
    if (this.lcp.state !== 'opened' || this.st === 'closing' || this.st === 'failed') return;
    if (AUTH_PROTOCOLS.has(protocol)) {
      if (this.auth?.protocol === protocol) this.auth.receive(payload);
      else this.log.debug('PPP: packet of an authentication protocol not in use, discarded', { protocol });
      return;
    }
    const ncp = this.ncps.byProtocol(protocol);
    if (ncp || protocol === PROTO.IPCP || protocol === PROTO.IPV6CP || protocol === PROTO.CCP) {
      if (this.st === 'authenticate') this.auth?.nudge?.(); // our Success may have been lost
      if (this.st !== 'network' && this.st !== 'opened') return; // RFC 1661 §3.5: NCPs wait for the network phase
      if (ncp) this.control(ncp, payload);
      else this.protocolReject(protocol, payload); // IPV6CP disabled, or CCP in 'protocol-reject' mode
      return;
    }
    if (protocol === PROTO.IPV6) {
      if (this.st === 'opened' && this.ncps.ipv6cp?.state === 'opened' && this.ipv6Handler)
        this.ipv6Handler(payload);
      else this.counters.ipDropped++;
      return;
    }
    this.counters.unknownProtocols++;
    this.protocolReject(protocol, payload);
  }

  private control(fsm: Negotiation, payload: Uint8Array): void {
    const p = decodeControlPacket(payload);
    if (!p.ok) {
      this.malformed(fsm.name, p.error.message);
      return;
    }
    fsm.receive(p.value);
  }

  /** RFC 1661 §5.7: Protocol-Reject carries the protocol and as much of the packet as the peer's MRU allows. */
  private protocolReject(protocol: number, payload: Uint8Array): void {
    const room = Math.max(0, this.lcpOpts.peerMru - 6);
    const data = new Uint8Array(2 + Math.min(room, payload.length));
    data[0] = protocol >> 8;
    data[1] = protocol & 0xff;
    data.set(payload.subarray(0, data.length - 2), 2);
    this.log.debug('PPP: Protocol-Reject', { protocol });
    this.lcp.sendPacket(CODE.PROTOCOL_REJECT, this.lcp.nextId(), data);
  }

  private onProtocolReject(protocol: number): void {
    this.log.info('PPP: peer Protocol-Rejected', { protocol });
    if (protocol === PROTO.LCP) this.lcp.protocolRejected();
    else this.ncps.byProtocol(protocol)?.protocolRejected();
    // A rejected authentication protocol (SoftEther after an EAP Nak) is followed by LCP renegotiation.
  }

  private deps(protocol: number) {
    return {
      clock: this.clock,
      logger: this.log,
      send: (packet: Uint8Array) => this.sendFrame(protocol, packet),
      maxPacket: () => this.lcpOpts.peerMru,
    };
  }

  private sendFrame(protocol: number, packet: Uint8Array): void {
    const frame = encodeFrame(protocol, packet);
    this.counters.countOut(protocol, frame.length);
    this.opts.send(frame);
  }

  private malformed(who: string, what: string): void {
    this.counters.malformed++;
    this.log.debug(`${who}: malformed packet discarded`, { what });
  }

  // ---- Phases ----

  private lcpUp(): void {
    if (this.isTerminal()) return;
    this.phases.end(true);
    this.extras.startKeepalive();
    const method = this.lcpOpts.peerAuth;
    this.log.info('LCP opened', {
      mru: this.lcpOpts.ourMru,
      peerMru: this.lcpOpts.peerMru,
      auth: method ?? 'none',
      magic: this.lcpOpts.magic !== 0,
    });
    if (method === null) {
      this.log.warn('PPP: the server did not ask for authentication');
      this.authResult = { method: 'none' };
      this.enterNetwork();
      return;
    }
    this.setState('authenticate');
    this.authEnteredAt = this.clock.now();
    this.phases.enter('auth');
    if (this.finalized || this.isTerminal()) return;
    this.authStarted = true;
    const auth = createAuthenticator(method, {
      credentials: this.opts.credentials,
      allowed: this.opts.authMethods ?? DEFAULT_AUTH_METHODS,
      ...(this.opts.eapIdentity === undefined ? {} : { eapIdentity: this.opts.eapIdentity }),
      primitives: this.primitives!,
      random: this.random,
      clock: this.clock,
      logger: this.log,
      papRetransmitMs: this.opts.papRetransmitMs ?? authTimers(this.opts.mfa).papRetransmitMs,
      send: (packet) => this.sendFrame(auth.protocol, packet),
      succeeded: (r) => {
        if (this.auth === auth) this.authSucceeded(r);
      },
      failed: (e) => {
        if (this.auth === auth) this.fail(e);
      },
    });
    this.auth = auth;
    auth.start();
  }

  private authSucceeded(r: AuthSuccess): void {
    if (this.st !== 'authenticate') return; // a re-challenge answered after the first success
    this.authResult = r;
    this.log.info('PPP: authenticated', { method: r.method });
    this.phases.end(true);
    this.enterNetwork();
  }

  private enterNetwork(): void {
    this.setState('network');
    this.phases.enter('ipcp');
    if (this.finalized || this.isTerminal()) return;
    this.ncps.up();
  }

  private lcpDown(): void {
    this.extras.stopKeepalive();
    this.stopAuth();
    this.ncps.down();
    if (this.isTerminal() || !['req-sent', 'ack-sent', 'ack-rcvd'].includes(this.lcp.state)) return;
    // RFC 1661 §4.1: a Configure-Request in Opened renegotiates the link (SoftEther does this after an EAP Nak).
    this.log.info('LCP renegotiation: back to link establishment');
    if (this.phases.current !== 'lcp') {
      this.phases.end(false, 'lcp-renegotiation');
      this.phases.enter('lcp');
    }
    this.setState('establish');
  }

  private lcpFinished(reason: FinishReason): void {
    if (this.isTerminal()) this.finalize(this.st === 'closing' ? 'closed' : 'failed');
    else this.fail(lcpEnded(reason, this.facts()));
  }

  private ipcpUp(): void {
    const o = this.ncps.ipcpOpts;
    if (o.localAddress === 0) {
      this.fail(E.ipcpNoAddress('the server acknowledged no address'));
      return;
    }
    if (this.established) {
      this.log.info('IPCP renegotiated', { address: ipv4ToString(o.localAddress) });
      if (this.st === 'network') this.setState('opened');
      return;
    }
    this.established = true;
    this.setState('opened');
    this.phases.end(true);
    const info = this.info();
    this.log.info('PPP link up', {
      localIp: info.localIp,
      peerIp: info.peerIp,
      dns: info.dns,
      mtu: info.mtu,
    });
    this.pending?.resolve(info);
    this.pending = null;
  }

  private ipcpFinished(reason: FinishReason): void {
    if (!this.isTerminal()) this.fail(ipcpEnded(reason, this.ncps.ipcpOpts.addressRejected, this.facts()));
  }

  private peerTerminated(data: Uint8Array): void {
    if (!this.isTerminal()) this.fail(peerHungUp(this.log.redactor.scrub(serverText(data)), this.facts()));
  }

  private facts(): LinkFacts {
    return {
      phase: this.errorPhase(),
      refusedAuth: [...this.lcpOpts.refusedAuth],
      authStarted: this.authStarted,
      allowed: this.opts.authMethods ?? DEFAULT_AUTH_METHODS,
      peerWantedMppe: this.ncps.ccpOpts?.peerWantedMppe ?? false,
    };
  }

  private info(): PppLinkInfo {
    const o = this.ncps.ipcpOpts;
    return {
      localIp: ipv4ToString(o.localAddress),
      peerIp: o.peerAddress ? ipv4ToString(o.peerAddress) : null,
      dns: o.dnsServers().map(ipv4ToString),
      mru: this.lcpOpts.ourMru,
      mtu: Math.min(this.lcpOpts.peerMru, this.mru),
      authMethod: this.authResult?.method ?? 'none',
      ...(this.authResult?.message ? { authMessage: this.authResult.message } : {}),
      ipv6: this.ncps.ipv6Info(),
    };
  }

  // ---- Failure, termination, timers ----

  private errorPhase(): E.PppPhase | 'established' {
    return this.established ? 'established' : (this.phases.current ?? 'lcp');
  }

  private isTerminal(): boolean {
    return this.st === 'closing' || this.st === 'failed' || this.st === 'closed';
  }

  /** Ends the link with `cause`; `goodbye` = LCP Terminate-Request first (false when the path below is gone). */
  private fail(cause: FerryError, goodbye = true): void {
    if (this.isTerminal()) return;
    for (const m of this.auth?.refusedMethods?.() ?? []) this.eapRefused.add(m);
    const stalled =
      cause.phase === 'auth' && cause.code === 'timeout' && this.eapRefused.size > 0
        ? E.eapFallbackStalled([...this.eapRefused])
        : cause;
    // SPEC §3 MFA: once the credentials went out with a second factor, a refusal is about that factor too.
    const mfa = this.opts.mfa;
    const error =
      mfa && this.authStarted && !this.established
        ? secondFactorFailure(mfa, stalled, this.clock.now() - this.authEnteredAt)
        : stalled;
    this.log.warn(`PPP failed: ${error.describe()}`, { code: error.code, phase: error.phase });
    const wasEstablished = this.established;
    this.stopActivity();
    this.setState('failed');
    this.pending?.reject(error);
    this.pending = null;
    if (wasEstablished) this.events.emit('down', error);
    if (goodbye) this.terminate(error.code);
  }

  private stopActivity(): void {
    this.phases.end(false, this.st);
    this.extras.stopKeepalive();
    this.stopAuth();
  }

  private terminate(reason: string): void {
    this.lcp.close(reason);
    if (this.lcp.state === 'closing' || this.lcp.state === 'stopping') {
      this.closeTimer = this.clock.setTimeout(
        () => this.finalize(this.st === 'closing' ? 'closed' : 'failed'),
        this.opts.closeTimeoutMs ?? 3000,
      );
    } else this.finalize(this.st === 'closing' ? 'closed' : 'failed');
  }

  private finalize(end: 'closed' | 'failed'): void {
    if (this.finalized) return;
    this.finalized = true;
    this.opts.credentials.appendedCode?.wipe();
    if (this.closeTimer !== null) this.clock.clearTimeout(this.closeTimer);
    this.closeTimer = null;
    this.stopActivity();
    this.ncps.dispose();
    this.lcp.dispose();
    this.early.length = 0;
    this.setState(end);
    for (const w of this.closeWaiters.splice(0)) w();
  }

  private stopAuth(): void {
    for (const m of this.auth?.refusedMethods?.() ?? []) this.eapRefused.add(m);
    this.auth?.stop();
    this.auth = null;
  }

  private setState(s: PppLinkState): void {
    if (s === this.st) return;
    this.st = s;
    this.events.emit('state', s);
  }
}
