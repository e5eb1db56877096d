/** LCP as an option table (RFC 1661 §6): MRU, Magic-Number, Authentication-Protocol; everything else refused. */
import type { Logger } from '../common/log';
import { type RandomSource, randomU32 } from '../common/random';
import { type AuthMethod, authOptionData, classifyAuthOption } from './auth/methods';
import type { ControlPacket } from './frame';
import { ACK, type NegotiationState, nak, type OptionTable, REJECT, type Verdict } from './negotiation';
import { type ConfigOption, option, readU16, readU32, u16Option, u32Option } from './options';

export const LCP_OPT = {
  MRU: 1,
  ACCM: 2,
  AUTH_PROTOCOL: 3,
  QUALITY_PROTOCOL: 4,
  MAGIC_NUMBER: 5,
  PFC: 7,
  ACFC: 8,
} as const;

export const DEFAULT_MRU = 1500; // RFC 1661 §6.1
const MIN_MRU = 128;

export interface LcpOptionsConfig {
  /** The MRU we ask for (what the peer may send us); Ferry's default is 1400. */
  readonly mru: number;
  /** Negotiate a Magic-Number (dropped for the rest of the link if the peer rejects it). */
  readonly magicNumber: boolean;
  /** Methods the profile allows, most preferred first. */
  readonly authMethods: readonly AuthMethod[];
  readonly random: RandomSource;
  readonly logger: Logger;
  /** The peer keeps presenting our own Magic-Number: the line is looped back (RFC 1661 §6.4). */
  onLoopback?(): void;
}

const LOOPBACK_LIMIT = 5;

export class LcpOptions implements OptionTable {
  private wantMru: number | null = null;
  private wantMagic = false;
  private mruRejected = false;
  private magicRejected = false;
  private proposedMagic = 0;
  private loopbacks = 0;

  /** Our magic number once acknowledged; 0 when not negotiated (RFC 1661 §6.4). */
  magic = 0;
  /** The MRU the peer agreed to respect when sending to us. */
  ourMru = DEFAULT_MRU;
  /** The peer's MRU: the largest frame we may send. */
  peerMru = DEFAULT_MRU;
  peerMagic = 0;
  /** The authentication the peer asked us to perform, or null for none. */
  peerAuth: AuthMethod | null = null;
  /** Authentication protocols the peer offered that the profile does not allow (labels, for errors). */
  readonly refusedAuth = new Set<string>();
  /** LCP's codes 8–13, installed by the link (lcpExtras.ts). */
  extraCode?: (packet: ControlPacket, state: NegotiationState) => boolean;

  constructor(private readonly cfg: LcpOptionsConfig) {}

  reset(): void {
    this.wantMru = this.mruRejected || this.cfg.mru === DEFAULT_MRU ? null : this.cfg.mru;
    this.wantMagic = this.cfg.magicNumber && !this.magicRejected;
    this.proposedMagic = this.wantMagic ? this.freshMagic() : 0;
    this.magic = 0;
    this.ourMru = DEFAULT_MRU;
    this.peerMru = DEFAULT_MRU;
    this.peerMagic = 0;
    this.peerAuth = null;
  }

  buildRequest(): ConfigOption[] {
    const out: ConfigOption[] = [];
    if (this.wantMru !== null) out.push(u16Option(LCP_OPT.MRU, this.wantMru));
    if (this.wantMagic) out.push(u32Option(LCP_OPT.MAGIC_NUMBER, this.proposedMagic));
    return out;
  }

  onAck(): void {
    this.ourMru = this.wantMru ?? DEFAULT_MRU;
    this.magic = this.wantMagic ? this.proposedMagic : 0;
  }

  onNak(options: readonly ConfigOption[], treatAsReject: boolean): boolean {
    for (const o of options) {
      if (o.type === LCP_OPT.MRU && this.wantMru !== null && o.data.length === 2) {
        const v = readU16(o.data);
        this.wantMru = treatAsReject || v < MIN_MRU ? null : v;
      } else if (o.type === LCP_OPT.MAGIC_NUMBER && this.wantMagic && o.data.length === 4) {
        // RFC 1661 §6.4: on a Nak, choose a new magic number (not the one suggested).
        if (treatAsReject) this.wantMagic = false;
        else this.proposedMagic = this.freshMagic(readU32(o.data));
      }
      // Naks for options we did not request (the peer asking us to request them) are ignored.
    }
    return true;
  }

  onReject(options: readonly ConfigOption[]): boolean {
    for (const o of options) {
      if (o.type === LCP_OPT.MRU && this.wantMru !== null) {
        this.wantMru = null;
        this.mruRejected = true;
      } else if (o.type === LCP_OPT.MAGIC_NUMBER && this.wantMagic) {
        this.cfg.logger.info('LCP: peer rejected Magic-Number, continuing without it');
        this.wantMagic = false;
        this.magicRejected = true;
      } else return false;
    }
    return true;
  }

  judge(options: readonly ConfigOption[]): Verdict[] {
    return options.map((o) => this.judgeOne(o));
  }

  private judgeOne(o: ConfigOption): Verdict {
    switch (o.type) {
      case LCP_OPT.MRU: {
        if (o.data.length !== 2) return REJECT;
        return readU16(o.data) < MIN_MRU ? nak(u16Option(LCP_OPT.MRU, MIN_MRU)) : ACK;
      }
      case LCP_OPT.ACCM:
        // RFC 1662 async map: meaningless without HDLC framing, harmless to accept (pppd sends it).
        return o.data.length === 4 ? ACK : REJECT;
      case LCP_OPT.AUTH_PROTOCOL:
        return this.judgeAuth(o);
      case LCP_OPT.MAGIC_NUMBER: {
        if (o.data.length !== 4) return REJECT;
        const v = readU32(o.data);
        if (v !== 0 && !(this.wantMagic && v === this.proposedMagic)) return ACK;
        if (v !== 0) this.loopbackSuspected();
        return nak(u32Option(LCP_OPT.MAGIC_NUMBER, this.freshMagic(v)));
      }
      default:
        // PFC, ACFC, Quality-Protocol, callback, multilink and anything unknown.
        return REJECT;
    }
  }

  private judgeAuth(o: ConfigOption): Verdict {
    const { method, label } = classifyAuthOption(o.data);
    if (method !== null && this.cfg.authMethods.includes(method)) return ACK;
    this.refusedAuth.add(label);
    const preferred = this.cfg.authMethods[0];
    if (preferred === undefined) return REJECT;
    return nak(option(LCP_OPT.AUTH_PROTOCOL, authOptionData(preferred)));
  }

  onPeerAcked(options: readonly ConfigOption[]): void {
    this.peerMru = DEFAULT_MRU;
    this.peerMagic = 0;
    this.peerAuth = null;
    for (const o of options) {
      if (o.type === LCP_OPT.MRU) this.peerMru = readU16(o.data);
      else if (o.type === LCP_OPT.MAGIC_NUMBER) this.peerMagic = readU32(o.data);
      else if (o.type === LCP_OPT.AUTH_PROTOCOL) this.peerAuth = classifyAuthOption(o.data).method;
    }
  }

  private loopbackSuspected(): void {
    // RFC 1661 §6.4: our own number came back; pick another and count, the line may be looped back.
    this.proposedMagic = this.freshMagic(this.proposedMagic);
    this.loopbacks++;
    this.cfg.logger.warn('LCP: peer presented our own Magic-Number', { count: this.loopbacks });
    if (this.loopbacks >= LOOPBACK_LIMIT) this.cfg.onLoopback?.();
  }

  private freshMagic(avoid = 0): number {
    for (let i = 0; i < 8; i++) {
      const v = randomU32(this.cfg.random);
      if (v !== 0 && v !== avoid) return v;
    }
    return (avoid + 1) >>> 0 || 1; // a broken RandomSource must not hang the link
  }
}
