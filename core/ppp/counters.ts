/** Per-protocol frame counters; IPv4/IPv6 counted in plain fields so the hot path does no map look-up. */
import { PROTO, protocolName } from './protocol';
import type { PppCounters } from './types';

export class FrameCounters {
  private readonly inByProto = new Map<number, number>();
  private readonly outByProto = new Map<number, number>();
  ipIn = 0;
  ipOut = 0;
  ip6In = 0;
  ip6Out = 0;
  bytesIn = 0;
  bytesOut = 0;
  unknownProtocols = 0;
  malformed = 0;
  ipDropped = 0;

  countIn(protocol: number): void {
    if (protocol === PROTO.IP) this.ipIn++;
    else if (protocol === PROTO.IPV6) this.ip6In++;
    else this.inByProto.set(protocol, (this.inByProto.get(protocol) ?? 0) + 1);
  }

  countOut(protocol: number, bytes: number): void {
    this.bytesOut += bytes;
    if (protocol === PROTO.IP) this.ipOut++;
    else if (protocol === PROTO.IPV6) this.ip6Out++;
    else this.outByProto.set(protocol, (this.outByProto.get(protocol) ?? 0) + 1);
  }

  snapshot(echo: { echoSent: number; echoReplies: number }): PppCounters {
    const table = (m: Map<number, number>, ip: number, ip6: number): Record<string, number> => {
      const o: Record<string, number> = {};
      if (ip) o.ip = ip;
      if (ip6) o.ipv6 = ip6;
      for (const [p, n] of m) o[protocolName(p)] = n;
      return o;
    };
    return {
      framesIn: table(this.inByProto, this.ipIn, this.ip6In),
      framesOut: table(this.outByProto, this.ipOut, this.ip6Out),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      unknownProtocols: this.unknownProtocols,
      malformed: this.malformed,
      ipDropped: this.ipDropped,
      echoSent: echo.echoSent,
      echoReplies: echo.echoReplies,
    };
  }
}
