/** Public types of the PPP link: options, the result of start(), events and counters. */
import type { Clock } from '../common/clock';
import type { FerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import type { AuthMethod, AuthResultMethod } from './auth/methods';
import type { Credentials } from './auth/types';
import type { LegacyPrimitives } from './crypto/legacy';
import type { PppPhase } from './errors';
import type { NegotiationConfig } from './negotiation';
import type { PppMfa } from './secondFactor';

export interface PppLinkOptions {
  /** Sends one PPP frame (ff 03 + protocol + packet) as the payload of an L2TP data message. */
  send(frame: Uint8Array): void;
  /**
   * Optional gather send for the IP hot path: `header` is the shared constant IP_FRAME_HEADER (ff 03 00 21, or
   * ff 03 00 57 for IPv6; never mutate it) and `payload` the caller's packet, so no copy is made here.
   */
  sendParts?(header: Uint8Array, payload: Uint8Array): void;
  readonly credentials: Credentials;
  /** Allowed methods, most preferred first; default MS-CHAPv2 > EAP > CHAP-MD5 > PAP. */
  readonly authMethods?: readonly AuthMethod[];
  /** EAP-Response/Identity (default: the user name). */
  readonly eapIdentity?: string;
  /** SPEC §3 MFA: sets the authentication timers (authTimers) and turns refusals into typed MFA errors. */
  readonly mfa?: PppMfa;
  /** Whole authentication phase; default from `mfa` (30 000 ms, or a push's approval window plus a grace). */
  readonly authTimeoutMs?: number;
  /** PAP retransmission interval; default from `mfa` (3000 ms, 5000 ms while a push is pending). */
  readonly papRetransmitMs?: number;
  /** MRU we request and the upper bound of the MTU we report, default 1400. */
  readonly mru?: number;
  /** Negotiate an LCP Magic-Number, default true (dropped automatically when the server rejects it). */
  readonly magicNumber?: boolean;
  readonly lcp?: Partial<NegotiationConfig>;
  /** Link establishment phase, default 30 000 ms. */
  readonly lcpTimeoutMs?: number;
  /** LCP Echo-Request interval once LCP is open, default 30 000 ms; 0 disables the keepalive. */
  readonly echoIntervalMs?: number;
  /** Unanswered echoes before 'link-dead', default 4. */
  readonly echoFailures?: number;
  /** Restart timer and counters of IPCP, IPV6CP and CCP. */
  readonly ncp?: Partial<NegotiationConfig>;
  /** Network phase (IPCP), default 30 000 ms. */
  readonly ipcpTimeoutMs?: number;
  /** Ask for the server's DNS servers (RFC 1877), default true. */
  readonly requestDns?: boolean;
  /** Run IPV6CP, default false (IPV6CP from the peer is then Protocol-Rejected). */
  readonly ipv6?: boolean;
  /** 'reject-options' (default): CCP answered, every compression option rejected; 'protocol-reject': LCP Protocol-Reject. */
  readonly ccp?: 'reject-options' | 'protocol-reject';
  /** Deadline for the LCP Terminate exchange on close(), default 3000 ms. */
  readonly closeTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly logger?: Logger;
  /** MD4/DES implementation; default loads hash-wasm + des.js (crypto/legacy.ts). */
  readonly primitives?: LegacyPrimitives;
}

export interface PppIpv6Info {
  /** Interface identifiers as 16 hex digits. */
  readonly localInterfaceId: string;
  readonly peerInterfaceId: string;
  readonly localLinkLocal: string;
  readonly peerLinkLocal: string;
}

export interface PppLinkInfo {
  readonly localIp: string;
  /** The server's address from its IPCP request; null when it did not send one. */
  readonly peerIp: string | null;
  readonly dns: string[];
  /** What the peer agreed to send us at most (our MRU, default 1500 when not negotiated). */
  readonly mru: number;
  /** Largest IP packet to send: min(peer's MRU, configured mru). Use it as the TUN MTU. */
  readonly mtu: number;
  readonly authMethod: AuthResultMethod;
  /** The server's success text (PAP Ack message, MS-CHAPv2 M=), if any. */
  readonly authMessage?: string;
  /** Set when IPV6CP was enabled and opened before IPCP finished (later: the 'ipv6-up' event). */
  readonly ipv6: PppIpv6Info | null;
}

export type PppLinkState =
  | 'idle'
  | 'establish'
  | 'authenticate'
  | 'network'
  | 'opened'
  | 'closing'
  | 'closed'
  | 'failed';

export interface PhaseEvent {
  readonly phase: PppPhase;
  readonly kind: 'start' | 'end';
  /** Clock time (ms). */
  readonly at: number;
  /** On 'end': whether the phase succeeded. */
  readonly ok?: boolean;
  readonly detail?: string;
}

export interface PppLinkEvents {
  phase: (e: PhaseEvent) => void;
  /** After start() resolved: the link went down (error) or was closed by us (null). */
  down: (error: FerryError | null) => void;
  'link-dead': () => void;
  'ipv6-up': (info: PppIpv6Info) => void;
  state: (state: PppLinkState) => void;
}

export interface PppCounters {
  /** Frames received and sent per protocol name ('lcp', 'ip', '0x80fb', …). */
  readonly framesIn: Record<string, number>;
  readonly framesOut: Record<string, number>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly unknownProtocols: number;
  readonly malformed: number;
  /** IP packets dropped because the network layer was not open. */
  readonly ipDropped: number;
  readonly echoSent: number;
  readonly echoReplies: number;
}
