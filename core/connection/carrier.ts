import type { Clock } from '../common/clock';
import type { ConnectPhase, FerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import type { NegotiatedAlgorithms } from './state';

/**
 * Whatever carries L2TP datagrams between us and the server's UDP port 1701. In production that is IPsec
 * (IKEv1 + ESP transport mode in UDP 4500); the connection above it does not care.
 */
export interface L2tpCarrier {
  /** Sends one L2TP message (the UDP 1701 payload). */
  send(datagram: Uint8Array): void;
  /** Gather variant for the data hot path: the parts form one datagram and are copied before returning. */
  sendParts?(parts: readonly Uint8Array[]): void;
  /** Incoming L2TP messages; the view is only valid during the call. */
  onDatagram(handler: (datagram: Uint8Array) => void): void;
  /** The carrier died after it was up (dead peer, SA deleted by the server, socket error). */
  onFailure(handler: (error: FerryError) => void): void;
  readonly algorithms: NegotiatedAlgorithms;
  /** Counters for diagnostics, e.g. ESP packets, drops by reason, DPD. */
  stats(): Record<string, unknown>;
  /** Tears down (IKE DELETE etc.); never rejects, bounded in time. */
  close(): Promise<void>;
}

export interface CarrierContext {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** Reports phase boundaries of the carrier's own bring-up (IKE phase 1, quick mode). */
  phase(phase: ConnectPhase, event: 'begin' | 'ok' | 'failed', detail?: string): void;
  /** Aborted by disconnect() during bring-up. */
  readonly signal: AbortSignal;
}

/** Brings a carrier up; rejects with a FerryError naming the phase. */
export type CarrierFactory = (ctx: CarrierContext) => Promise<L2tpCarrier>;
