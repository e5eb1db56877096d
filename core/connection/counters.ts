import type { L2tpCounters } from '../l2tp';
import type { PppCounters } from '../ppp';

export interface IpCounterSnapshot {
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly drops: Readonly<Record<string, number>>;
}

/** Counters of a connection for diagnostics (SPEC §4): IP traffic plus each layer's own counters. */
export interface ConnectionCounters {
  readonly ip: IpCounterSnapshot;
  readonly carrier: Record<string, unknown>;
  readonly l2tp: L2tpCounters | null;
  readonly ppp: PppCounters | null;
}

export class IpCounters {
  private packetsIn = 0;
  private packetsOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly drops: Record<string, number> = {};

  in(bytes: number): void {
    this.packetsIn++;
    this.bytesIn += bytes;
  }

  out(bytes: number): void {
    this.packetsOut++;
    this.bytesOut += bytes;
  }

  drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  snapshot(): IpCounterSnapshot {
    return {
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      drops: { ...this.drops },
    };
  }
}
