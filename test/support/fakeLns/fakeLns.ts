/**
 * An automatic in-process LNS: L2TP control on the production codecs and ReliableTransport, PPP from the
 * scripted SoftEther/pppd server, ICMP echo on its own address, and configurable misbehaviour (gone at a
 * moment, StopCCN/CDN at a moment, authentication delay). It talks datagrams: `receive()` takes what the client
 * sent, `attach()` says where its own datagrams go (a FakeCarrier wires both through LossyPaths).
 */

import type { TimerHandle } from '../../../core/common/clock';
import { silentLogger } from '../../../core/common/log';
import type { ResultCodeValue } from '../../../core/l2tp/avpValues';
import { HDR_L, L2TP_VERSION } from '../../../core/l2tp/constants';
import { isControlDatagram } from '../../../core/l2tp/controlMessage';
import { DataFramer, decodeDataMessage } from '../../../core/l2tp/dataMessage';
import { PROTO } from '../../../core/ppp/protocol';
import type { FakeServer } from '../../unit/ppp/fakeServer';
import { describeFrame, LnsPpp } from './lnsPpp';
import { type LnsSessionState, LnsTunnel, type LnsTunnelState } from './lnsTunnel';
import type { DataFraming, FakeLnsOptions, LnsMoment, LnsRecord, PapAttempt } from './types';

const RECENT_OUTPUT = 32;

export class FakeLns {
  readonly records: LnsRecord[] = [];
  readonly papAttempts: PapAttempt[] = [];
  readonly serverIp: string;
  readonly clientIp: string;
  readonly tunnelId: number;
  readonly sessionId: number;
  /** Datagrams received from the client (before any filtering) and dropped because the server was gone. */
  datagramsIn = 0;
  droppedWhileGone = 0;
  private readonly tunnel: LnsTunnel;
  private ppp: LnsPpp | null = null;
  private wire: ((datagram: Uint8Array) => void) | null = null;
  private goneValue = false;
  private readonly moments = new Set<LnsMoment>();
  private readonly recent: Uint8Array[] = [];
  private framer: DataFramer | null = null;
  private readonly framing: DataFraming;
  private clearTimer: TimerHandle | null = null;

  constructor(private readonly opts: FakeLnsOptions) {
    if (opts.hangUpAt?.moment === 'l2tp-tunnel' && opts.hangUpAt.with === 'cdn')
      throw new Error('hangUpAt: there is no session to clear with a CDN at the SCCRQ');
    const softether = opts.ppp.flavour === 'softether';
    this.serverIp = opts.ppp.serverIp ?? '192.168.30.1';
    this.clientIp = opts.ppp.clientIp ?? '192.168.30.10';
    this.tunnelId = opts.tunnelId ?? 0x5e7e;
    this.sessionId = opts.sessionId ?? 0x0b0b;
    this.framing = opts.dataFraming ?? 'length';
    this.tunnel = new LnsTunnel(
      {
        clock: opts.clock,
        logger: opts.logger ?? silentLogger,
        output: (d) => this.output(d),
        record: (dir, layer, what) => this.record(dir, layer, what),
        reached: (m) => this.reached(m),
        sessionUp: () => this.sessionUp(),
        sessionDown: () => this.sessionDown(),
      },
      {
        tunnelId: this.tunnelId,
        sessionId: this.sessionId,
        hostName: opts.hostName ?? (softether ? 'vm' : 'xl2tpd'),
        vendorName: softether ? 'L2TP' : 'xelerance.com',
        receiveWindow: opts.receiveWindow ?? (softether ? 16 : 4),
        // SoftEther retransmits control messages after 0.5 s (lab measurement).
        retransmit: opts.retransmit ?? { initialMs: 500, maxMs: 8000, maxRetries: 8 },
      },
    );
  }

  /** Where the server's datagrams go (the path towards the client). */
  attach(toClient: ((datagram: Uint8Array) => void) | null): void {
    this.wire = toClient;
  }

  /** One datagram (UDP 1701 payload) from the client. Never throws. */
  receive(datagram: Uint8Array): void {
    this.datagramsIn++;
    if (this.goneValue) {
      this.droppedWhileGone++;
      return;
    }
    if (isControlDatagram(datagram)) {
      this.tunnel.receive(datagram);
      return;
    }
    const m = decodeDataMessage(datagram);
    if (!m.ok || m.value.tunnelId !== this.tunnelId || m.value.sessionId !== this.sessionId) {
      this.record('in', 'l2tp', 'stray data message');
      return;
    }
    if (this.tunnel.session !== 'established' || !this.ppp) return;
    this.ppp.receive(m.value.payload);
  }

  // ---- What a test can make the server do ----

  /** Raw bytes to the client as if from the server (garbage injection). */
  inject(datagram: Uint8Array): void {
    this.record('out', 'lns', `injected ${datagram.length} bytes`);
    this.wire?.(datagram);
  }

  sendStopCcn(result?: ResultCodeValue): boolean {
    return !this.goneValue && this.tunnel.sendStopCcn(result);
  }

  sendCdn(result?: ResultCodeValue): boolean {
    return !this.goneValue && this.tunnel.sendCdn(result);
  }

  /** LCP Terminate-Request from the PPP server. */
  terminatePpp(reason = 'Administrator hung up'): boolean {
    return !this.goneValue && (this.ppp?.terminate(reason) ?? false);
  }

  /** Any PPP frame (from the address/control field on) to the client, framed like the server's own. */
  sendPppFrame(frame: Uint8Array): boolean {
    if (this.goneValue || this.tunnel.session !== 'established') return false;
    this.sendPpp(frame);
    return true;
  }

  /** An IPv4 packet from the server's side of the tunnel. */
  sendIp(packet: Uint8Array): boolean {
    return !this.goneValue && this.tunnel.session === 'established' && (this.ppp?.sendIp(packet) ?? false);
  }

  /** The server vanishes now: drops everything, answers nothing, retransmits nothing. */
  goAway(): void {
    if (this.goneValue) return;
    this.goneValue = true;
    this.record('event', 'lns', 'gone');
    this.tunnel.transport.dispose();
    this.ppp?.stop();
  }

  /** Test cleanup: stops every server timer. */
  stop(): void {
    this.goAway();
    if (this.clearTimer !== null) this.opts.clock.clearTimeout(this.clearTimer);
    this.clearTimer = null;
    this.tunnel.dispose();
  }

  // ---- What a test can look at ----

  get gone(): boolean {
    return this.goneValue;
  }

  get tunnelState(): LnsTunnelState {
    return this.tunnel.state;
  }

  get sessionState(): LnsSessionState {
    return this.tunnel.session;
  }

  get clientTunnelId(): number {
    return this.tunnel.clientTunnelId;
  }

  get clientSessionId(): number {
    return this.tunnel.clientSessionId;
  }

  /** The Ns the server's next control message will carry (what the client expects next, §5.8). */
  get controlNs(): number {
    return this.tunnel.transport.nextNs;
  }

  /** The PPP server of the current (or last) call. */
  get pppServer(): FakeServer | null {
    return this.ppp?.server ?? null;
  }

  get echoRequests(): number {
    return this.ppp?.echoRequests ?? 0;
  }

  /** Names of what arrived from the client, in the server's order (control messages once each, in Ns order). */
  received(layer?: LnsRecord['layer']): string[] {
    return this.records.filter((r) => r.dir === 'in' && (!layer || r.layer === layer)).map((r) => r.what);
  }

  sent(layer?: LnsRecord['layer']): string[] {
    return this.records.filter((r) => r.dir === 'out' && (!layer || r.layer === layer)).map((r) => r.what);
  }

  /** The last datagrams the server put on the wire (copies), as seeds for mutation. */
  recentOutput(): Uint8Array[] {
    return this.recent.map((d) => d.slice());
  }

  // ---- Internals ----

  private record(dir: LnsRecord['dir'], layer: LnsRecord['layer'], what: string): void {
    this.records.push({ at: this.opts.clock.now(), dir, layer, what });
  }

  /** The server reached a moment: false when it must not answer (it is gone, or hangs up instead). */
  private reached(m: LnsMoment): boolean {
    if (this.goneValue) return false;
    if (this.moments.has(m)) return true;
    this.moments.add(m);
    this.record('event', 'lns', `moment ${m}`);
    if (this.opts.goneAt === m) {
      this.goAway();
      return false;
    }
    const h = this.opts.hangUpAt;
    if (h?.moment === m) {
      this.record('event', 'lns', `hanging up with ${h.with}`);
      if (h.with === 'cdn') this.tunnel.sendCdn();
      else this.tunnel.sendStopCcn();
      return false;
    }
    return true;
  }

  private output(datagram: Uint8Array): void {
    if (this.goneValue) return;
    this.recent.push(datagram);
    if (this.recent.length > RECENT_OUTPUT) this.recent.shift();
    this.wire?.(datagram);
  }

  private sessionUp(): void {
    const profile = { ...this.opts.ppp, serverIp: this.serverIp, clientIp: this.clientIp };
    this.framer = new DataFramer(
      this.tunnel.clientTunnelId,
      this.tunnel.clientSessionId,
      this.framing === 'sequenced',
    );
    this.ppp = new LnsPpp(
      {
        clock: this.opts.clock,
        output: (f) => this.sendPpp(f),
        record: (dir, layer, what) => this.record(dir, layer, what),
        reached: (m) => this.reached(m),
        ended: () => this.pppEnded(),
      },
      {
        profile,
        primitives: this.opts.primitives,
        restartMs: this.opts.pppRestartMs ?? 3000,
        authDelayMs: this.opts.authDelayMs ?? 0,
        papAttempts: this.papAttempts,
      },
    );
    this.ppp.start();
  }

  /** SoftEther clears the call whenever its PPP session ends (`clearAfterPppEnds`). */
  private pppEnded(): void {
    const c = this.opts.clearAfterPppEnds;
    if (!c) return;
    this.clearTimer = this.opts.clock.setTimeout(() => {
      this.clearTimer = null;
      if (this.goneValue) return;
      this.record('event', 'lns', `PPP ended: clearing with ${c.with}`);
      if (c.with === 'cdn') this.tunnel.sendCdn();
      else this.tunnel.sendStopCcn();
    }, c.afterMs ?? 0);
  }

  private sessionDown(): void {
    this.ppp?.stop();
  }

  /** One PPP frame to the client in a data message framed the configured way (RFC 2661 §3.1). */
  private sendPpp(frame: Uint8Array): void {
    if (this.tunnel.session !== 'established' || !this.framer) return;
    const { protocol, name } = describeFrame(frame);
    this.record('out', protocol === PROTO.IP ? 'ip' : 'ppp', name);
    if (this.framing !== 'length') {
      this.output(this.framer.frame(frame));
      return;
    }
    const d = new Uint8Array(8 + frame.length);
    const v = new DataView(d.buffer);
    v.setUint16(0, HDR_L | L2TP_VERSION);
    v.setUint16(2, d.length);
    v.setUint16(4, this.tunnel.clientTunnelId);
    v.setUint16(6, this.tunnel.clientSessionId);
    d.set(frame, 8);
    this.output(d);
  }
}
