/**
 * The RFC 1661 §4 option-negotiation automaton, written once and parameterised by an option table (pppd's fsm.c
 * shape). LCP, IPCP, IPV6CP and CCP are option tables; LCP adds its extra codes through `OptionTable.extraCode`.
 */
import { equalBytes } from '../common/bytes';
import type { TimerHandle } from '../common/clock';
import type { Logger } from '../common/log';
import { type ControlPacket, encodeControlPacket } from './frame';
import { decodeOptions, encodeOptions } from './options';
import {
  answerRequest,
  DEFAULT_NEGOTIATION,
  type FinishReason,
  type NegotiationConfig,
  type NegotiationDeps,
  type NegotiationHooks,
  type NegotiationState,
  type OptionTable,
} from './optionTable';
import { CODE } from './protocol';

/** A peer request arriving this long after ours, with nothing heard before, means ours was probably lost. */
const FIRST_CONTACT_RESEND_AFTER_MS = 100;

export * from './optionTable';

const TIMER_STATES: ReadonlySet<NegotiationState> = new Set([
  'closing',
  'stopping',
  'req-sent',
  'ack-rcvd',
  'ack-sent',
]);
const NEGOTIATING: ReadonlySet<NegotiationState> = new Set(['req-sent', 'ack-rcvd', 'ack-sent']);

export class Negotiation {
  private st: NegotiationState = 'initial';
  private restartCount = 0;
  private timer: TimerHandle | null = null;
  private lastId = 0;
  private reqId = -1;
  private lastRequest: Uint8Array = new Uint8Array(0);
  private awaitingReply = false;
  private peerAckedId = -1;
  private peerAckedData: Uint8Array = new Uint8Array(0);
  private nakLoops = 0;
  private rnakLoops = 0;
  /** Whether any packet of this protocol has arrived from the peer yet. */
  private heardFromPeer = false;
  /** When our current Configure-Request was last sent (clock ms). */
  private requestSentAt = 0;
  private closingReason: FinishReason = 'closed';
  private terminateData: Uint8Array = new Uint8Array(0);
  private readonly cfg: NegotiationConfig;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly table: OptionTable,
    private readonly hooks: NegotiationHooks,
    private readonly deps: NegotiationDeps,
    config: Partial<NegotiationConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_NEGOTIATION, ...config };
    this.log = deps.logger;
  }

  get state(): NegotiationState {
    return this.st;
  }

  /** A fresh identifier for packets this protocol originates (requests, echoes). */
  nextId(): number {
    this.lastId = (this.lastId + 1) & 0xff;
    return this.lastId;
  }

  sendPacket(code: number, id: number, data: Uint8Array): void {
    this.deps.send(encodeControlPacket({ code, id, data }));
  }

  // ---- Events from the layer below and from the administrator (RFC 1661 §4.1) ----

  up(): void {
    if (this.st === 'initial') this.setState('closed');
    else if (this.st === 'starting') this.beginNegotiation();
  }

  down(): void {
    switch (this.st) {
      case 'closed':
      case 'closing':
        this.setState('initial');
        break;
      case 'stopped':
        this.setState('starting');
        this.hooks.started?.();
        break;
      case 'stopping':
      case 'req-sent':
      case 'ack-rcvd':
      case 'ack-sent':
        this.setState('starting');
        break;
      case 'opened':
        this.setState('starting');
        this.hooks.down();
        break;
      default:
    }
  }

  open(): void {
    if (this.st === 'initial') {
      this.setState('starting');
      this.hooks.started?.();
    } else if (this.st === 'closed') this.beginNegotiation();
    else if (this.st === 'closing') this.setState('stopping');
  }

  /** Administrative Close: Terminate-Request with `reason` as data when a link is up. */
  close(reason = ''): void {
    this.terminateData = new Uint8Array(Buffer.from(reason, 'utf8'));
    switch (this.st) {
      case 'starting':
        this.setState('initial');
        this.hooks.finished('closed');
        break;
      case 'stopped':
        this.setState('closed');
        break;
      case 'stopping':
        this.setState('closing');
        break;
      case 'req-sent':
      case 'ack-rcvd':
      case 'ack-sent':
        this.startTerminate('closing', 'closed');
        break;
      case 'opened':
        this.startTerminate('closing', 'closed');
        this.hooks.down();
        break;
      default:
    }
  }

  /** RXJ- from outside: LCP received a Protocol-Reject for this protocol. */
  protocolRejected(): void {
    this.rxjMinus('protocol-rejected');
  }

  /** Stops the timer for good (the owner is being discarded). */
  dispose(): void {
    this.stopTimer();
  }

  // ---- Received packets ----

  receive(p: ControlPacket): void {
    if (this.st === 'initial' || this.st === 'starting') {
      this.log.debug(`${this.name}: packet before the lower layer is up, discarded`, { code: p.code });
      return;
    }
    const firstContact = !this.heardFromPeer;
    this.heardFromPeer = true;
    switch (p.code) {
      case CODE.CONFIGURE_REQUEST:
        this.rcr(p, firstContact);
        return;
      case CODE.CONFIGURE_ACK:
        this.rca(p);
        return;
      case CODE.CONFIGURE_NAK:
      case CODE.CONFIGURE_REJECT:
        this.rcn(p);
        return;
      case CODE.TERMINATE_REQUEST:
        this.rtr(p);
        return;
      case CODE.TERMINATE_ACK:
        this.rta();
        return;
      case CODE.CODE_REJECT:
        this.rxj(p);
        return;
      default:
        if (this.table.extraCode?.(p, this.st)) return;
        this.ruc(p);
    }
  }

  private rcr(p: ControlPacket, firstContact = false): void {
    if (this.st === 'closing' || this.st === 'stopping') return;
    if (this.st === 'closed') {
      this.sta(p.id);
      return;
    }
    const parsed = decodeOptions(p.data);
    if (!parsed.ok) {
      this.hooks.malformed?.(`Configure-Request: ${parsed.error.message}`);
      return;
    }
    const prev = this.st;
    if (prev === 'opened' && p.id === this.peerAckedId && equalBytes(p.data, this.peerAckedData)) {
      // A retransmission of the request we acknowledged (same Identifier, same options: RFC 1661 §5.1 forbids
      // reusing the Identifier for a new request after a valid reply): our Ack was lost, so repeat it
      // instead of tearing the link down. Under duplication this keeps two peers from renegotiating forever.
      this.sendPacket(CODE.CONFIGURE_ACK, p.id, p.data);
      return;
    }
    if (prev === 'opened' || prev === 'stopped') this.scr(false);
    // The peer's first packet is a request while ours is unanswered: ours most likely arrived before the peer was
    // listening (xl2tpd starts pppd only after the ICCN). Repeat it now rather than after the restart timer; sent
    // before our answer, so the peer is not yet Opened when the copy arrives and no renegotiation follows.
    if (
      firstContact &&
      prev === 'req-sent' &&
      this.awaitingReply &&
      this.deps.clock.now() - this.requestSentAt >= FIRST_CONTACT_RESEND_AFTER_MS
    )
      this.scr(true);
    const options = parsed.value;
    const answer = answerRequest(options, this.table.judge(options), this.nakLoops < this.cfg.maxFailure);
    const acked = answer.code === CODE.CONFIGURE_ACK;
    this.sendPacket(answer.code, p.id, acked ? p.data : encodeOptions(answer.options));
    if (acked) {
      this.peerAckedId = p.id;
      this.peerAckedData = p.data.slice();
      this.table.onPeerAcked(options);
      this.nakLoops = 0;
    } else if (answer.code === CODE.CONFIGURE_NAK) this.nakLoops++;
    if (acked) {
      if (prev === 'ack-rcvd') {
        this.setState('opened');
        this.hooks.up();
      } else this.setState('ack-sent');
    } else if (prev !== 'ack-rcvd') this.setState('req-sent');
    if (prev === 'opened') this.hooks.down();
  }

  private isReplyToUs(p: ControlPacket): boolean {
    if (this.awaitingReply && p.id === this.reqId) return true;
    this.log.debug(`${this.name}: reply with unexpected id discarded`, { id: p.id, expected: this.reqId });
    return false;
  }

  private rca(p: ControlPacket): void {
    if (this.st === 'closed' || this.st === 'stopped') {
      this.sta(p.id);
      return;
    }
    if (this.st === 'closing' || this.st === 'stopping' || !this.isReplyToUs(p)) return;
    if (!equalBytes(p.data, this.lastRequest)) {
      this.hooks.malformed?.('Configure-Ack does not repeat our request');
      return;
    }
    const parsed = decodeOptions(p.data);
    if (!parsed.ok) return;
    this.awaitingReply = false;
    this.rnakLoops = 0;
    this.table.onAck(parsed.value);
    switch (this.st) {
      case 'req-sent':
        this.restartCount = this.cfg.maxConfigure;
        this.setState('ack-rcvd');
        break;
      case 'ack-rcvd': // crossed connection
        this.scr(false);
        this.setState('req-sent');
        break;
      case 'ack-sent':
        this.restartCount = this.cfg.maxConfigure;
        this.setState('opened');
        this.hooks.up();
        break;
      case 'opened':
        this.scr(false);
        this.setState('req-sent');
        this.hooks.down();
        break;
      default:
    }
  }

  private rcn(p: ControlPacket): void {
    if (this.st === 'closed' || this.st === 'stopped') {
      this.sta(p.id);
      return;
    }
    if (this.st === 'closing' || this.st === 'stopping' || !this.isReplyToUs(p)) return;
    const parsed = decodeOptions(p.data);
    if (!parsed.ok) {
      this.hooks.malformed?.(`Configure-Nak/Reject: ${parsed.error.message}`);
      return;
    }
    let accepted: boolean;
    if (p.code === CODE.CONFIGURE_NAK) {
      this.rnakLoops++;
      accepted = this.table.onNak(parsed.value, this.rnakLoops >= this.cfg.maxFailure);
    } else accepted = this.table.onReject(parsed.value);
    if (!accepted) {
      this.hooks.malformed?.('Configure-Nak/Reject does not match our request');
      return;
    }
    this.awaitingReply = false;
    const prev = this.st;
    this.scr(false);
    if (prev === 'ack-rcvd' || prev === 'opened') this.setState('req-sent');
    if (prev === 'opened') this.hooks.down();
  }

  private rtr(p: ControlPacket): void {
    switch (this.st) {
      case 'ack-rcvd':
      case 'ack-sent':
        this.sta(p.id);
        this.setState('req-sent');
        break;
      case 'opened':
        // RFC 1661 §4.1 RTR in Opened: tld, zrc, sta → Stopping (wait one restart period, then finish).
        this.sta(p.id);
        this.closingReason = 'peer-terminated';
        this.restartCount = 0;
        this.setState('stopping');
        this.startTimer();
        this.hooks.peerTerminated?.(p.data);
        this.hooks.down();
        return;
      default:
        this.sta(p.id);
    }
    this.hooks.peerTerminated?.(p.data);
  }

  private rta(): void {
    switch (this.st) {
      case 'closing':
        this.setState('closed');
        this.hooks.finished(this.closingReason);
        break;
      case 'stopping':
        this.setState('stopped');
        this.hooks.finished(this.closingReason);
        break;
      case 'ack-rcvd':
        this.setState('req-sent');
        break;
      case 'opened':
        this.scr(false);
        this.setState('req-sent');
        this.hooks.down();
        break;
      default:
    }
  }

  private rxj(p: ControlPacket): void {
    const rejectedCode = p.data[0];
    // RFC 1661 §5.6: a rejected Configure-* / Terminate-* / Code-Reject means we cannot talk (RXJ-).
    if (rejectedCode !== undefined && rejectedCode >= 1 && rejectedCode <= 7) {
      this.log.warn(`${this.name}: peer Code-Rejected code ${rejectedCode}`);
      this.rxjMinus('code-rejected');
    } else {
      this.log.debug(`${this.name}: peer Code-Rejected code ${rejectedCode ?? '?'}, continuing`);
      if (this.st === 'ack-rcvd') this.setState('req-sent');
    }
  }

  private rxjMinus(reason: FinishReason): void {
    switch (this.st) {
      case 'closed':
      case 'stopped':
        this.hooks.finished(reason);
        break;
      case 'closing':
        this.setState('closed');
        this.hooks.finished(reason);
        break;
      case 'stopping':
      case 'req-sent':
      case 'ack-rcvd':
      case 'ack-sent':
        this.setState('stopped');
        this.hooks.finished(reason);
        break;
      case 'opened':
        this.startTerminate('stopping', reason);
        this.hooks.down();
        break;
      default:
    }
  }

  private ruc(p: ControlPacket): void {
    const whole = encodeControlPacket(p);
    const room = Math.max(0, (this.deps.maxPacket?.() ?? 1500) - 4);
    this.log.debug(`${this.name}: unknown code ${p.code}, sending Code-Reject`);
    this.sendPacket(CODE.CODE_REJECT, this.nextId(), whole.subarray(0, room));
  }

  // ---- Actions ----

  private beginNegotiation(): void {
    if (this.cfg.silent) {
      this.setState('stopped');
      return;
    }
    this.scr(false);
    this.setState('req-sent');
  }

  /** Send-Configure-Request; a new request (not a retransmission) re-initialises the restart counter. */
  private scr(retransmit: boolean): void {
    if (!retransmit) {
      if (!NEGOTIATING.has(this.st)) {
        this.table.reset();
        this.nakLoops = 0;
        this.rnakLoops = 0;
      }
      this.lastRequest = encodeOptions(this.table.buildRequest());
      this.reqId = this.nextId();
      this.restartCount = this.cfg.maxConfigure;
    }
    this.sendPacket(CODE.CONFIGURE_REQUEST, this.reqId, this.lastRequest);
    this.requestSentAt = this.deps.clock.now();
    this.awaitingReply = true;
    this.restartCount--;
    this.startTimer();
  }

  private startTerminate(next: 'closing' | 'stopping', reason: FinishReason): void {
    this.closingReason = reason;
    this.restartCount = this.cfg.maxTerminate;
    this.setState(next);
    this.str();
  }

  private str(): void {
    this.sendPacket(CODE.TERMINATE_REQUEST, this.nextId(), this.terminateData);
    this.restartCount--;
    this.startTimer();
  }

  private sta(id: number): void {
    this.sendPacket(CODE.TERMINATE_ACK, id, new Uint8Array(0));
  }

  private timeout(): void {
    this.timer = null;
    const more = this.restartCount > 0;
    switch (this.st) {
      case 'closing':
      case 'stopping':
        if (more) this.str();
        else {
          this.setState(this.st === 'closing' ? 'closed' : 'stopped');
          this.hooks.finished(this.closingReason);
        }
        break;
      case 'req-sent':
      case 'ack-rcvd':
      case 'ack-sent':
        if (more) {
          this.log.debug(`${this.name}: restart timer, retransmitting Configure-Request`, {
            left: this.restartCount,
          });
          this.scr(true);
          if (this.st === 'ack-rcvd') this.setState('req-sent');
        } else {
          this.setState('stopped');
          this.hooks.finished('timeout');
        }
        break;
      default:
    }
  }

  private setState(next: NegotiationState): void {
    if (next !== this.st) this.log.debug(`${this.name}: ${this.st} -> ${next}`);
    this.st = next;
    if (!TIMER_STATES.has(next)) this.stopTimer();
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = this.deps.clock.setTimeout(() => this.timeout(), this.cfg.restartMs);
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      this.deps.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
