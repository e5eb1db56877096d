/** The contract between the RFC 1661 automaton (negotiation.ts) and the option tables that parameterise it. */
import type { Clock } from '../common/clock';
import type { Logger } from '../common/log';
import type { ControlPacket } from './frame';
import type { ConfigOption } from './options';
import { CODE } from './protocol';

export type NegotiationState =
  | 'initial'
  | 'starting'
  | 'closed'
  | 'stopped'
  | 'closing'
  | 'stopping'
  | 'req-sent'
  | 'ack-rcvd'
  | 'ack-sent'
  | 'opened';

/** How we answer one option of the peer's Configure-Request (RFC 1661 §5.1–5.4). */
export type Verdict =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly suggest: ConfigOption }
  | { readonly kind: 'reject' };

export const ACK: Verdict = { kind: 'ack' };
export const REJECT: Verdict = { kind: 'reject' };
export const nak = (suggest: ConfigOption): Verdict => ({ kind: 'nak', suggest });

/** What a control protocol negotiates: pppd's resetci/addci/ackci/nakci/rejci/reqci as one object. */
export interface OptionTable {
  /** A fresh negotiation starts (first Configure-Request after Closed/Stopped/Opened). */
  reset(): void;
  /** The options of our next Configure-Request. */
  buildRequest(): ConfigOption[];
  /** The peer acknowledged our last request (already checked byte-equal to it). */
  onAck(options: readonly ConfigOption[]): void;
  /** The peer Nak'd; `treatAsReject` once Max-Failure Naks were received in a row. false = bogus, discard. */
  onNak(options: readonly ConfigOption[], treatAsReject: boolean): boolean;
  /** The peer rejected options of our request. false = bogus (not a subset of our request), discard. */
  onReject(options: readonly ConfigOption[]): boolean;
  /** One verdict per option of the peer's request. */
  judge(options: readonly ConfigOption[]): Verdict[];
  /** We sent a Configure-Ack for these options: they are now the peer's settings. */
  onPeerAcked(options: readonly ConfigOption[]): void;
  /** Codes beyond 1..7 (LCP's Echo, Protocol-Reject, …); return true when handled, false sends Code-Reject. */
  extraCode?(packet: ControlPacket, state: NegotiationState): boolean;
}

/** Why the automaton signalled This-Layer-Finished. */
export type FinishReason =
  | 'closed' // our Close completed (Terminate-Ack or Max-Terminate)
  | 'timeout' // Max-Configure requests went unanswered (TO-)
  | 'peer-terminated' // the peer sent Terminate-Request
  | 'code-rejected' // the peer Code-Rejected an essential code (RXJ-)
  | 'protocol-rejected'; // the peer Protocol-Rejected this protocol (RXJ- via LCP)

export interface NegotiationHooks {
  /** This-Layer-Up: the automaton entered Opened. */
  up(): void;
  /** This-Layer-Down: the automaton left Opened. */
  down(): void;
  /** This-Layer-Started: the lower layer is needed. */
  started?(): void;
  /** This-Layer-Finished. */
  finished(reason: FinishReason): void;
  /** The peer sent Terminate-Request (data is often a reason in ASCII). */
  peerTerminated?(data: Uint8Array): void;
  /** A packet of this protocol could not be parsed. */
  malformed?(what: string): void;
}

export interface NegotiationConfig {
  /** Restart timer (RFC 1661 §4.6), default 3000 ms. */
  readonly restartMs: number;
  readonly maxConfigure: number;
  readonly maxTerminate: number;
  /** Configure-Naks before Naks turn into Rejects (and received Naks are treated as Rejects). */
  readonly maxFailure: number;
  /** Wait for the peer's Configure-Request instead of sending ours first (pppd's `silent`). */
  readonly silent?: boolean;
}

export const DEFAULT_NEGOTIATION: NegotiationConfig = {
  restartMs: 3000,
  maxConfigure: 10,
  maxTerminate: 2,
  maxFailure: 5,
};

export interface NegotiationDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Sends one control packet of this protocol (the caller frames it). */
  send(packet: Uint8Array): void;
  /** Largest control packet the peer accepts (its MRU); bounds Code-Reject. */
  maxPacket?(): number;
}

/**
 * The answer to a Configure-Request (RFC 1661 §5.2–5.4): any Reject wins, then Naks (turned into Rejects once
 * Max-Failure Naks were sent, §4.6), else an Ack of the request as received.
 */
export function answerRequest(
  options: readonly ConfigOption[],
  verdicts: readonly Verdict[],
  nakAllowed: boolean,
): { readonly code: 2 | 3 | 4; readonly options: readonly ConfigOption[] } {
  const rejected = options.filter((_, i) => verdicts[i]?.kind === 'reject');
  if (rejected.length > 0) return { code: CODE.CONFIGURE_REJECT, options: rejected };
  const naked = options.filter((_, i) => verdicts[i]?.kind === 'nak');
  if (naked.length === 0) return { code: CODE.CONFIGURE_ACK, options };
  if (!nakAllowed) return { code: CODE.CONFIGURE_REJECT, options: naked };
  return {
    code: CODE.CONFIGURE_NAK,
    options: verdicts.flatMap((v) => (v.kind === 'nak' ? [v.suggest] : [])),
  };
}
