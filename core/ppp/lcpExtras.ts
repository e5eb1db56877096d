/** LCP's codes beyond option negotiation (RFC 1661 §5.7–5.9) and the echo keepalive built on them. */
import type { Clock, TimerHandle } from '../common/clock';
import type { Logger } from '../common/log';
import type { ControlPacket } from './frame';
import type { LcpOptions } from './lcp';
import type { Negotiation, NegotiationState } from './negotiation';
import { readU32 } from './options';
import { CODE } from './protocol';

export interface LcpExtrasConfig {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Echo-Request interval while LCP is Opened; 0 turns the keepalive off (pppd lcp-echo-interval). */
  readonly echoIntervalMs: number;
  /** Unanswered Echo-Requests in a row before the link is declared dead (pppd lcp-echo-failure). */
  readonly echoFailures: number;
  /** The peer Protocol-Rejected one of our protocols (RFC 1661 §5.7). */
  onProtocolReject(protocol: number): void;
  onLinkDead(unanswered: number): void;
}

export class LcpExtras {
  private fsm: Negotiation | null = null;
  private timer: TimerHandle | null = null;
  private unanswered = 0;
  echoSent = 0;
  echoReplies = 0;

  constructor(
    private readonly options: LcpOptions,
    private readonly cfg: LcpExtrasConfig,
  ) {}

  attach(fsm: Negotiation): void {
    this.fsm = fsm;
  }

  private magicBytes(): Uint8Array {
    const m = this.options.magic;
    return Uint8Array.of(m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff);
  }

  /** Handles codes 8–13; returns false for codes LCP does not know (the automaton Code-Rejects them). */
  handle(p: ControlPacket, state: NegotiationState): boolean {
    const fsm = this.fsm;
    if (!fsm) return false;
    switch (p.code) {
      case CODE.PROTOCOL_REJECT:
        if (state === 'opened' && p.data.length >= 2)
          this.cfg.onProtocolReject((p.data[0]! << 8) | p.data[1]!);
        return true;
      case CODE.ECHO_REQUEST: {
        // RFC 1661 §5.8: answered only in Opened; the reply carries our magic number and the peer's data.
        if (state !== 'opened' || p.data.length < 4) return true;
        if (this.isOurMagic(p.data))
          this.cfg.logger.warn('LCP: Echo-Request carries our own magic (looped back?)');
        const reply = new Uint8Array(p.data.length);
        reply.set(this.magicBytes(), 0);
        reply.set(p.data.subarray(4), 4);
        fsm.sendPacket(CODE.ECHO_REPLY, p.id, reply);
        return true;
      }
      case CODE.ECHO_REPLY:
        if (state === 'opened' && p.data.length >= 4 && !this.isOurMagic(p.data)) {
          this.unanswered = 0;
          this.echoReplies++;
        }
        return true;
      case CODE.DISCARD_REQUEST: // RFC 1661 §5.9: silently discarded
      case CODE.IDENTIFICATION: // RFC 1570 §2.3/2.4: informational, no reply
      case CODE.TIME_REMAINING:
        return true;
      default:
        return false;
    }
  }

  private isOurMagic(data: Uint8Array): boolean {
    const m = this.options.magic;
    return m !== 0 && readU32(data) === m;
  }

  startKeepalive(): void {
    this.stopKeepalive();
    this.unanswered = 0;
    if (this.cfg.echoIntervalMs > 0) this.schedule();
  }

  stopKeepalive(): void {
    if (this.timer !== null) this.cfg.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.cfg.clock.setTimeout(() => this.tick(), this.cfg.echoIntervalMs);
  }

  private tick(): void {
    this.timer = null;
    const fsm = this.fsm;
    if (fsm?.state !== 'opened') return;
    if (this.unanswered >= this.cfg.echoFailures) {
      this.cfg.logger.warn('LCP: peer stopped answering Echo-Requests', { unanswered: this.unanswered });
      this.cfg.onLinkDead(this.unanswered);
      return;
    }
    this.unanswered++;
    this.echoSent++;
    fsm.sendPacket(CODE.ECHO_REQUEST, fsm.nextId(), this.magicBytes());
    this.schedule();
  }
}
