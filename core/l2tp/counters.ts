/** Per-tunnel counters for diagnostics (SPEC §4: counters, drops by reason). */

export interface L2tpCounters {
  /** Control messages sent for the first time (ZLBs excluded). */
  controlSent: number;
  controlRetransmitted: number;
  /** Control messages delivered in order to the state machines (ZLBs and duplicates excluded). */
  controlReceived: number;
  zlbSent: number;
  zlbReceived: number;
  /** Control messages received again (already delivered); acknowledged, not redelivered. */
  duplicates: number;
  /** Control messages beyond our receive window; dropped. */
  outOfWindow: number;
  /** Control messages that arrived early and waited in the reorder buffer. */
  reordered: number;
  /** Nr values that acknowledge nothing we sent; ignored. */
  badAcks: number;
  /** Datagrams or messages dropped, by reason (decode error code, 'wrong-tunnel', 'unknown-session', …). */
  malformed: Record<string, number>;
  dataFramesIn: number;
  dataBytesIn: number;
  dataFramesOut: number;
  dataBytesOut: number;
  /** Data frames that arrived with a sequence number older than the last one seen (delivered anyway). */
  dataOutOfOrder: number;
}

export function newCounters(): L2tpCounters {
  return {
    controlSent: 0,
    controlRetransmitted: 0,
    controlReceived: 0,
    zlbSent: 0,
    zlbReceived: 0,
    duplicates: 0,
    outOfWindow: 0,
    reordered: 0,
    badAcks: 0,
    malformed: {},
    dataFramesIn: 0,
    dataBytesIn: 0,
    dataFramesOut: 0,
    dataBytesOut: 0,
    dataOutOfOrder: 0,
  };
}

export function countMalformed(c: L2tpCounters, reason: string): void {
  c.malformed[reason] = (c.malformed[reason] ?? 0) + 1;
}
