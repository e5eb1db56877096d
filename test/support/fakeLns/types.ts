/** Configuration and records of the fake LNS. */
import type { Logger } from '../../../core/common/log';
import type { RetransmitPolicy } from '../../../core/l2tp/reliableTransport';
import type { LegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import type { ServerProfile } from '../../unit/ppp/fakeServer';
import type { FakeClock } from '../deterministic';

/**
 * Points of the bring-up as the server sees them: the first message the client sends in each of its phases.
 *  - 'l2tp-tunnel': the SCCRQ;  'l2tp-session': the ICRQ;  'lcp': the first PPP frame;
 *  - 'auth': the first PAP/CHAP/EAP frame;  'ipcp': the first IPCP frame;  'established': the first IP packet.
 */
export type LnsMoment = 'l2tp-tunnel' | 'l2tp-session' | 'lcp' | 'auth' | 'ipcp' | 'established';
export const LNS_MOMENTS: readonly LnsMoment[] = [
  'l2tp-tunnel',
  'l2tp-session',
  'lcp',
  'auth',
  'ipcp',
  'established',
];

/** How data messages to the client are framed (RFC 2661 §3.1): all are valid, LNSes differ. */
export type DataFraming =
  /** L bit, no sequence numbers: SoftEther's SendL2TPDataPacket, xl2tpd with `length bit = yes`. */
  | 'length'
  /** Bare header: tunnel and session IDs only. */
  | 'plain'
  /** S bit with Ns (Linux l2tp_core with sequencing on); the client follows and sends Ns too (§5.4). */
  | 'sequenced';

export interface FakeLnsOptions {
  /** The shared clock; the server's own timers (restart timer, auth delay) run on it. */
  readonly clock: FakeClock;
  /** The PPP server: `softether()` / `pppd()` from test/unit/ppp/linkHarness, or a custom ServerProfile. */
  readonly ppp: ServerProfile;
  readonly primitives: LegacyPrimitives;
  readonly logger?: Logger;
  /** Our Assigned Tunnel ID (default 0x5e7e) and Session ID (default 0x0b0b). */
  readonly tunnelId?: number;
  readonly sessionId?: number;
  /** SCCRP Host Name (default 'vm' for SoftEther, 'xl2tpd' for pppd). */
  readonly hostName?: string;
  /** SCCRP Receive Window Size (default 16 for SoftEther, 4 for xl2tpd). */
  readonly receiveWindow?: number;
  readonly dataFraming?: DataFraming;
  /** The server's control retransmission (default SoftEther's 0.5 s start). */
  readonly retransmit?: Partial<RetransmitPolicy>;
  /** PPP restart timer of the server (default 3000 ms, pppd's). */
  readonly pppRestartMs?: number;

  // ---- Misbehaviour ----
  /** From this moment on the server is gone: it drops everything, answers nothing, retransmits nothing. */
  readonly goneAt?: LnsMoment;
  /** At this moment the server answers with StopCCN or CDN instead of carrying on. */
  readonly hangUpAt?: { readonly moment: LnsMoment; readonly with: 'stopccn' | 'cdn' };
  /**
   * Once its PPP side ended (its LCP Terminate-Request went out: a rejected PAP with `papHangUp`, or
   * `terminatePpp()`), the server clears the call, as SoftEther does: a CDN or a StopCCN `afterMs` later.
   */
  readonly clearAfterPppEnds?: { readonly with: 'stopccn' | 'cdn'; readonly afterMs?: number };
  /**
   * Holds the client's first authentication frame this long before the PPP server sees it (a RADIUS server
   * waiting for push approval); retransmissions arriving meanwhile are dropped.
   */
  readonly authDelayMs?: number;
}

/** One line of what the server saw and did, in its order. */
export interface LnsRecord {
  /** Fake time (ms). */
  readonly at: number;
  readonly dir: 'in' | 'out' | 'event';
  readonly layer: 'l2tp' | 'ppp' | 'ip' | 'lns';
  /** 'SCCRQ', 'LCP Terminate-Request', 'IP ICMP echo-request', 'moment auth', 'gone' … */
  readonly what: string;
}

/** What the server's PAP side received (to check what travels as the password, e.g. password + OTP). */
export interface PapAttempt {
  readonly user: string;
  readonly password: string;
}
