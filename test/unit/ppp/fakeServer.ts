/**
 * Scripted PPP servers with the behaviour measured on the lab peers (see /work/shared/lab/*.md):
 * SoftEther 5.01 (auth offered EAP → MS-CHAPv2 → PAP, EAP-TLS only after Identity, EAP Nak → Protocol-Reject +
 * LCP renegotiation to MS-CHAPv2, Magic-Number and Secondary-DNS Config-Rejected) and pppd 2.4.9 (asyncmap +
 * auth + magic in its request, follows a Nak'd auth suggestion, opens IPV6CP, ms-dns).
 */

import { chapMd5Response } from '../../../core/ppp/auth/chap';
import { CHAP_CODE, decodeChapPacket, encodeChapPacket } from '../../../core/ppp/auth/chapPacket';
import {
  decodeEapPacket,
  EAP_CODE,
  EAP_TYPE,
  encodeEapPacket,
  MSCHAPV2_OP,
} from '../../../core/ppp/auth/eapPacket';
import { type AuthMethod, authOptionData, classifyAuthOption } from '../../../core/ppp/auth/methods';
import { decodePapPacket, encodePapReply, PAP_CODE } from '../../../core/ppp/auth/papPacket';
import type { LegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import {
  formatAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
} from '../../../core/ppp/crypto/mschapv2';
import { decodeControlPacket, decodeFrame, encodeControlPacket, encodeFrame } from '../../../core/ppp/frame';
import {
  type ConfigOption,
  decodeOptions,
  encodeOptions,
  option,
  readU32,
  u16Option,
  u32Option,
} from '../../../core/ppp/options';
import { CODE, PROTO } from '../../../core/ppp/protocol';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const ip = (s: string) => s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);

export interface ServerProfile {
  readonly flavour: 'softether' | 'pppd';
  /** Methods offered in LCP, in order. */
  readonly authOrder: readonly AuthMethod[];
  readonly user: string;
  readonly password: string;
  /** What follows EAP-Identity: 'tls' (SoftEther 5.01), or a method we support. */
  readonly eapMethod?: 'tls' | 'mschapv2' | 'md5';
  /** MS-CHAPv2: answer with a wrong or no authenticator response even for the right password. */
  readonly badAuthenticator?: 'wrong' | 'missing';
  /** MS-CHAPv2 failure code for a wrong password (default 691). */
  readonly failureCode?: number;
  /** MS-CHAPv2 failure "M=" text (default "Authentication failed"). */
  readonly failureMessage?: string;
  readonly serverIp?: string;
  readonly clientIp?: string;
  readonly dns?: readonly string[];
  readonly rejectSecondaryDns?: boolean;
  readonly openIpv6cp?: boolean;
  /** Propose MPPE in CCP and hang up when it is refused (pppd require-mppe). */
  readonly requireMppe?: boolean;
  /** Nak every IP-Address we request with this address forever (misbehaving pool). */
  readonly nakAddressForever?: string;
  readonly rejectIpAddress?: boolean;
  /** MRU in the pppd-flavoured LCP request (default 1400). */
  readonly serverMru?: number;
  /**
   * A wrong PAP password gets no Authenticate-Nak: the server just terminates the link, as SoftEther 5.01 does
   * (Proto_PPP.c: NewIPC fails → PPP_STATUS_FAIL), also when its RADIUS backend said Access-Reject.
   */
  readonly papHangUp?: boolean;
  /** Never answer anything (a dead PPP server). */
  readonly silent?: boolean;
  /** Open LCP but never start authentication. */
  readonly silentAuth?: boolean;
  /**
   * SoftEther 5.01 after an EAP-Nak: it renegotiates LCP to MS-CHAPv2 but never sends the challenge, because
   * Proto_PPP.c only leaves AuthProtocol = EAP behind (set when EAP was accepted). Default true for SoftEther;
   * false models a fixed server that really falls back.
   */
  readonly eapNakStalls?: boolean;
}

export class FakeServer {
  private stalled = false;
  readonly sent: Array<{ protocol: number; code: number; data: Uint8Array }> = [];
  readonly got: Array<{ protocol: number; code: number }> = [];
  readonly ipReceived: Uint8Array[] = [];
  protocolRejects: number[] = [];
  lcpOpened = false;
  terminated = false;
  authOk = false;
  private id = 100;
  private authIdx = 0;
  private authMethod: AuthMethod | null = null;
  private ourAcked = false;
  private peerAcked = false;
  private lastLcpReqId = -1;
  private challenge = new Uint8Array(16);
  private chapId = 0;
  private ipcpOurAcked = false;
  private ipcpPeerAcked = false;
  ipcpOpened = false;
  private ipcpReqId = -1;
  private ipv6Req = -1;
  private readonly magic = 0x0a0b0c0d;
  /** Requests awaiting a reply, resent by tick() (the server's restart timer). */
  private readonly pendingRequests = new Map<string, Uint8Array>();
  /** The Success/Failure of the finished CHAP exchange, resent on a duplicate Response (RFC 1994 §4.1). */
  private chapVerdict: Uint8Array | null = null;

  constructor(
    private readonly p: ServerProfile,
    private readonly primitives: LegacyPrimitives,
    private readonly out: (frame: Uint8Array) => void,
  ) {}

  private send(protocol: number, code: number, id: number, data: Uint8Array, retransmitAs?: string): void {
    this.sent.push({ protocol, code, data });
    const frame = encodeFrame(protocol, encodeControlPacket({ code, id, data }));
    if (retransmitAs) this.pendingRequests.set(retransmitAs, frame);
    this.out(frame);
  }

  /** Restart timer: resend every request still waiting for its reply. */
  tick(): void {
    if (this.terminated || this.p.silent) return;
    for (const f of this.pendingRequests.values()) this.out(f);
  }

  private nextId(): number {
    this.id = (this.id + 1) & 0xff;
    return this.id;
  }

  /** The server opens LCP (both SoftEther and pppd send their Configure-Request first). */
  start(): void {
    if (!this.p.silent) this.sendLcpRequest();
  }

  private lcpRequestOptions(): ConfigOption[] {
    const auth = this.p.authOrder[this.authIdx];
    const opts: ConfigOption[] = [];
    if (this.p.flavour === 'pppd') opts.push(u32Option(2, 0), u16Option(1, this.p.serverMru ?? 1400));
    if (auth) opts.push(option(3, authOptionData(auth)));
    if (this.p.flavour === 'pppd') opts.push(u32Option(5, this.magic));
    return opts;
  }

  private sendLcpRequest(): void {
    this.ourAcked = false;
    this.lastLcpReqId = this.nextId();
    this.send(
      PROTO.LCP,
      CODE.CONFIGURE_REQUEST,
      this.lastLcpReqId,
      encodeOptions(this.lcpRequestOptions()),
      'lcp',
    );
  }

  receive(frame: Uint8Array): void {
    if (this.p.silent) return;
    const f = decodeFrame(frame);
    if (!f.ok) return;
    const { protocol, payload } = f.value;
    if (protocol === PROTO.IP) {
      this.ipReceived.push(payload.slice());
      return;
    }
    const pkt = decodeControlPacket(payload);
    if (!pkt.ok) return;
    this.got.push({ protocol, code: pkt.value.code });
    if (this.terminated) return;
    if (protocol === PROTO.LCP) this.lcp(pkt.value.code, pkt.value.id, pkt.value.data);
    else if (protocol === PROTO.PAP) this.pap(payload);
    else if (protocol === PROTO.CHAP) this.chap(payload);
    else if (protocol === PROTO.EAP) this.eap(payload);
    else if (protocol === PROTO.IPCP) this.ipcp(pkt.value.code, pkt.value.id, pkt.value.data);
    else if (protocol === PROTO.IPV6CP && pkt.value.code === CODE.CONFIGURE_REQUEST) {
      this.send(PROTO.IPV6CP, CODE.CONFIGURE_ACK, pkt.value.id, pkt.value.data);
    } else if (protocol === PROTO.CCP && this.p.requireMppe && pkt.value.code === CODE.CONFIGURE_REJECT) {
      this.terminate('MPPE required but peer negotiation failed');
    }
  }

  terminate(reason: string): void {
    this.send(PROTO.LCP, CODE.TERMINATE_REQUEST, this.nextId(), ascii(reason));
    this.terminated = true;
  }

  private lcp(code: number, id: number, data: Uint8Array): void {
    const opts = decodeOptions(data);
    switch (code) {
      case CODE.CONFIGURE_REQUEST: {
        if (!opts.ok) return;
        const magic = opts.value.filter((o) => o.type === 5);
        if (this.p.flavour === 'softether' && magic.length) {
          this.send(PROTO.LCP, CODE.CONFIGURE_REJECT, id, encodeOptions(magic));
          return;
        }
        this.send(PROTO.LCP, CODE.CONFIGURE_ACK, id, data);
        this.peerAcked = true;
        break;
      }
      case CODE.CONFIGURE_ACK:
        if (id !== this.lastLcpReqId) return;
        this.pendingRequests.delete('lcp');
        this.ourAcked = true;
        break;
      case CODE.CONFIGURE_NAK: {
        if (id !== this.lastLcpReqId || !opts.ok) return;
        this.lastLcpReqId = -1; // a duplicated Nak must not skip a method
        const suggested = opts.value.find((o) => o.type === 3);
        const s = suggested ? classifyAuthOption(suggested.data).method : null;
        const idx = s ? this.p.authOrder.indexOf(s) : -1;
        // pppd follows a suggestion it can serve; SoftEther just tries its next method.
        if (this.p.flavour === 'pppd' && idx >= 0) this.authIdx = idx;
        else this.authIdx++;
        if (this.authIdx >= this.p.authOrder.length) {
          this.terminate('Authentication protocols exhausted');
          return;
        }
        this.sendLcpRequest();
        return;
      }
      case CODE.CONFIGURE_REJECT:
        if (id === this.lastLcpReqId) this.terminate('peer refused to authenticate');
        return;
      case CODE.TERMINATE_REQUEST:
        this.send(PROTO.LCP, CODE.TERMINATE_ACK, id, new Uint8Array(0));
        this.terminated = true;
        return;
      case CODE.ECHO_REQUEST: {
        const reply = data.slice();
        reply.set(u32Option(0, this.magic).data, 0);
        this.send(PROTO.LCP, CODE.ECHO_REPLY, id, reply);
        return;
      }
      case CODE.PROTOCOL_REJECT:
        this.protocolRejects.push((data[0]! << 8) | data[1]!);
        return;
      default:
        return;
    }
    if (this.ourAcked && this.peerAcked && !this.lcpOpened) {
      this.lcpOpened = true;
      this.authMethod = this.p.authOrder[this.authIdx] ?? null;
      this.beginAuth();
    }
  }

  private beginAuth(): void {
    if (this.p.silentAuth || this.stalled) return;
    this.challenge = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + this.authIdx) & 0xff);
    this.chapId = this.nextId();
    if (this.authMethod === 'mschapv2' || this.authMethod === 'chap-md5') {
      const data = new Uint8Array([16, ...this.challenge, ...ascii('srv')]);
      this.send(PROTO.CHAP, CHAP_CODE.CHALLENGE, this.chapId, data, 'auth');
    } else if (this.authMethod === 'eap') {
      const data = new Uint8Array([EAP_TYPE.IDENTITY, ...ascii('Welcome')]);
      this.send(PROTO.EAP, EAP_CODE.REQUEST, this.chapId, data, 'auth');
    }
  }

  private authDone(ok: boolean): void {
    this.pendingRequests.delete('auth');
    if (this.authOk) return; // a repeated exchange after success
    this.authOk = ok;
    if (!ok) {
      this.terminate('Authentication failed');
      return;
    }
    this.ipcpReqId = this.nextId();
    const ours = encodeOptions([u32Option(3, ip(this.p.serverIp ?? '192.168.30.1'))]);
    this.send(PROTO.IPCP, CODE.CONFIGURE_REQUEST, this.ipcpReqId, ours, 'ipcp');
    if (this.p.openIpv6cp) {
      this.ipv6Req = this.nextId();
      this.send(
        PROTO.IPV6CP,
        CODE.CONFIGURE_REQUEST,
        this.ipv6Req,
        encodeOptions([option(1, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 1))]),
      );
    }
    if (this.p.requireMppe) {
      this.send(PROTO.CCP, CODE.CONFIGURE_REQUEST, this.nextId(), encodeOptions([u32Option(18, 0x01000060)]));
    }
  }

  private pap(payload: Uint8Array): void {
    const p = decodePapPacket(payload);
    if (!p.ok || p.value.code !== PAP_CODE.REQUEST || this.authMethod !== 'pap' || !this.lcpOpened) return;
    const ok =
      Buffer.from(p.value.peerId).toString() === this.p.user &&
      Buffer.from(p.value.password).toString() === this.p.password;
    if (!ok && this.p.papHangUp) {
      this.authDone(false);
      return;
    }
    this.out(
      encodeFrame(
        PROTO.PAP,
        encodePapReply(ok ? 2 : 3, p.value.id, ascii(ok ? 'Welcome' : 'Login incorrect')),
      ),
    );
    this.authDone(ok);
  }

  private msChapVerdict(value: Uint8Array, name: string): { ok: boolean; message: Uint8Array } {
    const peerChallenge = value.subarray(0, 16);
    const nt = value.subarray(24, 48);
    const hash = ntPasswordHash(this.primitives, this.p.password);
    const expected = generateNtResponse(this.primitives, this.challenge, peerChallenge, name, hash);
    const ok = name === this.p.user && Buffer.compare(expected, nt) === 0;
    if (!ok)
      return {
        ok,
        message: ascii(
          `E=${this.p.failureCode ?? 691} R=0 C=${'00'.repeat(16)} V=3 M=${this.p.failureMessage ?? 'Authentication failed'}`,
        ),
      };
    let s = formatAuthenticatorResponse(
      generateAuthenticatorResponse(this.primitives, hash, nt, peerChallenge, this.challenge, name),
    );
    if (this.p.badAuthenticator === 'wrong') s = `S=${'1'.repeat(40)}`;
    if (this.p.badAuthenticator === 'missing') return { ok, message: ascii('M=Access granted') };
    return { ok, message: ascii(`${s} M=Access granted`) };
  }

  private chap(payload: Uint8Array): void {
    const c = decodeChapPacket(payload);
    if (!c.ok || c.value.code !== CHAP_CODE.RESPONSE || c.value.id !== this.chapId) return;
    if (this.chapVerdict) {
      this.out(this.chapVerdict);
      return;
    }
    const name = Buffer.from(c.value.name).toString();
    if (this.authMethod === 'chap-md5') {
      const ok =
        name === this.p.user &&
        Buffer.compare(chapMd5Response(this.chapId, this.p.password, this.challenge), c.value.value) === 0;
      this.chapVerdict = encodeFrame(
        PROTO.CHAP,
        encodeChapPacket({ code: ok ? 3 : 4, id: this.chapId, message: ascii(ok ? 'Welcome' : 'Bad') }),
      );
      this.out(this.chapVerdict);
      this.authDone(ok);
      return;
    }
    const v = this.msChapVerdict(c.value.value, name);
    this.chapVerdict = encodeFrame(
      PROTO.CHAP,
      encodeChapPacket({ code: v.ok ? 3 : 4, id: this.chapId, message: v.message }),
    );
    this.out(this.chapVerdict);
    this.authDone(v.ok);
  }

  private eapSend(code: 1 | 3 | 4, type: number, typeData: Uint8Array): void {
    this.chapId = this.nextId();
    const pkt =
      code === EAP_CODE.REQUEST
        ? encodeEapPacket({ code, id: this.chapId, type, typeData })
        : encodeEapPacket({ code, id: this.chapId });
    const frame = encodeFrame(PROTO.EAP, pkt);
    if (code === EAP_CODE.REQUEST) this.pendingRequests.set('auth', frame);
    this.out(frame);
  }

  private eap(payload: Uint8Array): void {
    const e = decodeEapPacket(payload);
    if (!e.ok || e.value.code !== EAP_CODE.RESPONSE || e.value.id !== this.chapId) return;
    const { type, typeData } = e.value;
    if (type === EAP_TYPE.IDENTITY) {
      const m = this.p.eapMethod ?? 'tls';
      if (m === 'tls') this.eapSend(1, EAP_TYPE.TLS, Uint8Array.of(0x20));
      else if (m === 'md5') this.eapSend(1, EAP_TYPE.MD5, new Uint8Array([16, ...this.challenge]));
      else
        this.eapSend(
          1,
          EAP_TYPE.MSCHAPV2,
          new Uint8Array([1, this.id + 1, 0, 24, 16, ...this.challenge, ...ascii('srv')]),
        );
    } else if (type === EAP_TYPE.NAK) {
      if (this.p.flavour === 'softether') {
        // Proto_PPP.c: Protocol-Reject the EAP packet, then renegotiate LCP offering MS-CHAPv2.
        this.send(PROTO.LCP, CODE.PROTOCOL_REJECT, this.nextId(), new Uint8Array([0xc2, 0x27, ...payload]));
        this.authIdx = this.p.authOrder.indexOf('mschapv2');
        this.stalled = this.p.eapNakStalls ?? true;
        this.pendingRequests.delete('auth');
        this.lcpOpened = false;
        this.peerAcked = false;
        this.sendLcpRequest();
      } else this.eapSend(4, 0, new Uint8Array(0));
    } else if (type === EAP_TYPE.MD5) {
      const ok =
        Buffer.compare(
          chapMd5Response(this.chapId, this.p.password, this.challenge),
          typeData.subarray(1, 17),
        ) === 0;
      this.eapSend(ok ? 3 : 4, 0, new Uint8Array(0));
      this.authDone(ok);
    } else if (type === EAP_TYPE.MSCHAPV2) {
      const op = typeData[0];
      if (op === MSCHAPV2_OP.RESPONSE) {
        const value = typeData.subarray(5, 54);
        const v = this.msChapVerdict(value, Buffer.from(typeData.subarray(54)).toString());
        const msg = v.message;
        const op2 = v.ok ? MSCHAPV2_OP.SUCCESS : MSCHAPV2_OP.FAILURE;
        this.eapSend(1, EAP_TYPE.MSCHAPV2, new Uint8Array([op2, this.id, 0, 4 + msg.length, ...msg]));
      } else if (op === MSCHAPV2_OP.SUCCESS) {
        this.eapSend(3, 0, new Uint8Array(0));
        this.authDone(true);
      } else if (op === MSCHAPV2_OP.FAILURE) {
        this.eapSend(4, 0, new Uint8Array(0));
        this.authDone(false);
      }
    }
  }

  private ipcp(code: number, id: number, data: Uint8Array): void {
    if (code === CODE.CONFIGURE_ACK && id === this.ipcpReqId) {
      this.ipcpOurAcked = true;
      this.pendingRequests.delete('ipcp');
    }
    if (code === CODE.CONFIGURE_REQUEST) {
      const opts = decodeOptions(data);
      if (!opts.ok) return;
      const client = ip(this.p.nakAddressForever ?? this.p.clientIp ?? '192.168.30.10');
      const dns = (this.p.dns ?? ['192.168.30.1', '192.168.30.2']).map(ip);
      const reject = opts.value.filter(
        (o) =>
          (o.type === 131 && this.p.rejectSecondaryDns) ||
          (o.type === 3 && this.p.rejectIpAddress) ||
          o.type === 2,
      );
      if (reject.length) {
        this.send(PROTO.IPCP, CODE.CONFIGURE_REJECT, id, encodeOptions(reject));
        return;
      }
      const naks: ConfigOption[] = [];
      for (const o of opts.value) {
        const v = readU32(o.data);
        if (o.type === 3 && (v !== client || this.p.nakAddressForever)) naks.push(u32Option(3, client));
        if (o.type === 129 && v !== dns[0]) naks.push(u32Option(129, dns[0]!));
        if (o.type === 131 && v !== dns[1]) naks.push(u32Option(131, dns[1]!));
      }
      if (naks.length) this.send(PROTO.IPCP, CODE.CONFIGURE_NAK, id, encodeOptions(naks));
      else {
        this.send(PROTO.IPCP, CODE.CONFIGURE_ACK, id, data);
        this.ipcpPeerAcked = true;
      }
    }
    if (this.ipcpOurAcked && this.ipcpPeerAcked) this.ipcpOpened = true;
  }

  /** Sends an IP packet to the client. */
  sendIp(packet: Uint8Array): void {
    this.out(encodeFrame(PROTO.IP, packet));
  }
}
