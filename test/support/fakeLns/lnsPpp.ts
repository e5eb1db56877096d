/**
 * The PPP side of the fake LNS: the scripted SoftEther/pppd server of the PPP tests (test/unit/ppp/fakeServer.ts)
 * with its restart timer on the shared clock, an authentication hold (push-MFA style), a record of PAP
 * credentials as received, and an ICMP echo responder on the server's own address (RFC 792).
 */
import type { TimerHandle } from '../../../core/common/clock';
import { decodeIcmpEcho, encodeIcmpEcho } from '../../../core/net/ipv4';
import { decodePapPacket, PAP_CODE } from '../../../core/ppp/auth/papPacket';
import type { LegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import { decodeControlPacket, decodeFrame } from '../../../core/ppp/frame';
import { PROTO } from '../../../core/ppp/protocol';
import { FakeServer, type ServerProfile } from '../../unit/ppp/fakeServer';
import type { FakeClock } from '../deterministic';
import { pppPacketName } from './names';
import type { LnsMoment, LnsRecord, PapAttempt } from './types';

const AUTH_PROTOCOLS: ReadonlySet<number> = new Set([PROTO.PAP, PROTO.CHAP, PROTO.EAP]);

export interface LnsPppHost {
  readonly clock: FakeClock;
  /** One PPP frame to the client (the LNS frames it into a data message). */
  output(frame: Uint8Array): void;
  record(dir: LnsRecord['dir'], layer: LnsRecord['layer'], what: string): void;
  reached(moment: LnsMoment): boolean;
  /** The PPP server sent its LCP Terminate-Request: its side of the call is over. */
  ended(): void;
}

export interface LnsPppParams {
  readonly profile: ServerProfile & { readonly serverIp: string; readonly clientIp: string };
  readonly primitives: LegacyPrimitives;
  readonly restartMs: number;
  readonly authDelayMs: number;
  /** Shared with the LNS so attempts survive the session. */
  readonly papAttempts: PapAttempt[];
}

/** 'LCP Configure-Request', 'IP ICMP echo-request', 'malformed PPP' … */
export function describeFrame(frame: Uint8Array): { protocol: number | null; name: string } {
  const f = decodeFrame(frame);
  if (!f.ok) return { protocol: null, name: 'malformed PPP' };
  const { protocol, payload } = f.value;
  if (protocol === PROTO.IP) {
    const echo = decodeIcmpEcho(payload);
    return { protocol, name: echo.ok ? `IP ICMP echo-${echo.value.type}` : 'IP' };
  }
  const pkt = decodeControlPacket(payload);
  return { protocol, name: pppPacketName(protocol, pkt.ok ? pkt.value.code : null) };
}

export class LnsPpp {
  readonly server: FakeServer;
  echoRequests = 0;
  private stopped = false;
  private ticker: TimerHandle | null = null;
  private holdTimer: TimerHandle | null = null;
  private hold: 'idle' | 'holding' | 'released' = 'idle';
  private endedValue = false;

  constructor(
    private readonly host: LnsPppHost,
    private readonly p: LnsPppParams,
  ) {
    this.server = new FakeServer(p.profile, p.primitives, (f) => {
      if (this.stopped) return;
      host.output(f);
      if (!this.endedValue && describeFrame(f).name === 'LCP Terminate-Request') {
        this.endedValue = true;
        host.ended();
      }
    });
  }

  /** Both SoftEther and pppd open LCP first, as soon as the call is up. */
  start(): void {
    this.server.start();
    this.armTicker();
  }

  /** The call is gone: no restart timer, no held frame, nothing sent any more. */
  stop(): void {
    this.stopped = true;
    for (const t of [this.ticker, this.holdTimer]) if (t !== null) this.host.clock.clearTimeout(t);
    this.ticker = null;
    this.holdTimer = null;
  }

  /** Sends an IPv4 packet to the client. */
  sendIp(packet: Uint8Array): boolean {
    if (this.stopped) return false;
    this.server.sendIp(packet);
    return true;
  }

  /** LCP Terminate-Request from the server (admin hang-up). */
  terminate(reason: string): boolean {
    if (this.stopped || this.server.terminated) return false;
    this.server.terminate(reason);
    return true;
  }

  /** One PPP frame from the client. */
  receive(frame: Uint8Array): void {
    if (this.stopped) return;
    const { protocol, name } = describeFrame(frame);
    this.host.record('in', protocol === PROTO.IP ? 'ip' : 'ppp', name);
    if (!this.host.reached('lcp')) return;
    if (protocol !== null && AUTH_PROTOCOLS.has(protocol) && !this.host.reached('auth')) return;
    if (protocol === PROTO.IPCP && !this.host.reached('ipcp')) return;
    if (protocol === PROTO.IP && !this.host.reached('established')) return;
    if (protocol !== null && AUTH_PROTOCOLS.has(protocol) && this.holding(frame, protocol)) return;
    this.pass(frame, protocol);
  }

  private pass(frame: Uint8Array, protocol: number | null): void {
    if (protocol === PROTO.PAP) this.notePap(frame);
    this.server.receive(frame);
    if (protocol === PROTO.IP) this.answerEcho(frame);
  }

  /** True when the frame is held or dropped by the authentication delay. */
  private holding(frame: Uint8Array, protocol: number): boolean {
    if (this.p.authDelayMs <= 0 || this.hold === 'released') return false;
    if (this.hold === 'holding') {
      this.host.record('event', 'lns', 'auth frame dropped while holding');
      return true;
    }
    this.hold = 'holding';
    const copy = frame.slice();
    this.host.record('event', 'lns', `holding auth for ${this.p.authDelayMs} ms`);
    this.holdTimer = this.host.clock.setTimeout(() => {
      this.holdTimer = null;
      this.hold = 'released';
      this.host.record('event', 'lns', 'auth released');
      if (!this.stopped) this.pass(copy, protocol);
    }, this.p.authDelayMs);
    return true;
  }

  private notePap(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    if (!f.ok) return;
    const pap = decodePapPacket(f.value.payload);
    if (!pap.ok || pap.value.code !== PAP_CODE.REQUEST) return;
    this.p.papAttempts.push({
      user: Buffer.from(pap.value.peerId).toString('utf8'),
      password: Buffer.from(pap.value.password).toString('utf8'),
    });
  }

  private answerEcho(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    if (!f.ok) return;
    const echo = decodeIcmpEcho(f.value.payload);
    if (!echo.ok || echo.value.type !== 'request' || echo.value.destination !== this.p.profile.serverIp)
      return;
    this.echoRequests++;
    const { id, seq, data, source } = echo.value;
    this.server.sendIp(encodeIcmpEcho(this.p.profile.serverIp, source, { type: 'reply', id, seq, data }));
  }

  private armTicker(): void {
    this.ticker = this.host.clock.setTimeout(() => {
      this.ticker = null;
      if (this.stopped) return;
      this.server.tick();
      this.armTicker();
    }, this.p.restartMs);
  }
}
