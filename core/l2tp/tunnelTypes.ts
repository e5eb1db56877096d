/** Options, events and peer description of L2tpTunnel, and the call parameters derived from the peer. */
import type { Clock } from '../common/clock';
import type { FerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import { BEARER_ANALOG, BEARER_DIGITAL, FRAMING_ASYNC, FRAMING_SYNC } from './constants';
import type { RetransmitPolicy } from './reliableTransport';

export type L2tpTunnelState = 'idle' | 'connecting' | 'established' | 'closing' | 'closed';

export interface L2tpTunnelOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** Sends one L2TP message as the payload of a UDP datagram to the server's port 1701. */
  readonly send: (datagram: Uint8Array) => void;
  /** Optional gather send for data messages (header + PPP parts as one datagram, copied before returning). */
  readonly sendParts?: (parts: readonly Uint8Array[]) => void;
  readonly hostName?: string;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  /** Receive Window Size we advertise (default 8). */
  readonly receiveWindow?: number;
  /** Send HELLO after this long without any message from the peer (default 30 s, §6.5). */
  readonly helloIntervalMs?: number;
  readonly retransmit?: Partial<RetransmitPolicy>;
  readonly ackDelayMs?: number;
  /** Give up on the SCCRP after this long (default 20 s). */
  readonly establishTimeoutMs?: number;
  /** How long close() waits for the StopCCN (or CDN) acknowledgement (default 3 s). */
  readonly closeTimeoutMs?: number;
  /** After closing, keep acknowledging retransmitted messages for this long (§5.7; default 10 s). */
  readonly lingerMs?: number;
}

export interface L2tpTunnelEvents {
  state: (state: L2tpTunnelState, previous: L2tpTunnelState) => void;
  /** The tunnel ended: null after a local close, else why. */
  closed: (error: FerryError | null) => void;
}

/** What the LNS told us in its SCCRP. */
export interface L2tpPeerInfo {
  readonly tunnelId: number;
  readonly receiveWindowSize: number;
  readonly hostName?: string;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  readonly framingCapabilities?: number;
  readonly bearerCapabilities?: number;
}

export const TUNNEL_DEFAULTS = {
  hostName: 'ferry',
  vendorName: 'Ferry',
  firmwareRevision: 0x0100,
  helloIntervalMs: 30_000,
  establishTimeoutMs: 20_000,
  closeTimeoutMs: 3_000,
  lingerMs: 10_000,
};

/** §4.4.5 Bearer Type for the ICRQ: one the LNS advertised (analog first), or none. */
export function bearerTypeFor(peer: L2tpPeerInfo | null): number | undefined {
  const caps = peer?.bearerCapabilities ?? 0;
  if (caps & BEARER_ANALOG) return BEARER_ANALOG;
  if (caps & BEARER_DIGITAL) return BEARER_DIGITAL;
  return undefined;
}

/** §4.4.5 Framing Type for the ICCN: synchronous unless the LNS can only do asynchronous. */
export function framingTypeFor(peer: L2tpPeerInfo | null): number {
  const caps = peer?.framingCapabilities;
  return caps === undefined || caps & FRAMING_SYNC || !(caps & FRAMING_ASYNC) ? FRAMING_SYNC : FRAMING_ASYNC;
}
