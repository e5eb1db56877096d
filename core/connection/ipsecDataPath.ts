/**
 * L2TP datagrams through an ESP SA pair (RFC 3948 UDP encapsulation underneath): transport mode carries the
 * UDP 1701 datagram (next header 17), the tunnel-mode fallback an IPv4 packet around it (next header 4).
 * Inbound SAs sit in a table by SPI so a rekey can install a new pair while the old one still receives.
 */
import type { Logger } from '../common/log';
import type { InboundSa } from '../esp/inbound';
import { InboundSaTable } from '../esp/inboundTable';
import type { OutboundSa, SealRefusal } from '../esp/outbound';
import { NEXT_HEADER_IPV4, NEXT_HEADER_UDP } from '../esp/packet';
import type { EspMode } from '../ike/quick/espProposals';
import { L2TP_PORT } from '../ike/tasks/quickMode';
import { decodeIpv4Header, decodeUdpHeader, encodeIpv4, IPPROTO_UDP, writeUdpHeader } from '../net/ipv4';

export interface EspSaPair {
  readonly outbound: OutboundSa;
  readonly inbound: InboundSa;
  readonly mode: EspMode;
}

export type InnerDropReason = 'not-udp' | 'bad-ip' | 'bad-udp' | 'wrong-port';

export interface DataPathCounters {
  datagramsOut: number;
  datagramsIn: number;
  /** ESP packets that did not open (per-SA reasons are in the SA stats). */
  espDropped: number;
  sealRefused: Record<SealRefusal, number>;
  innerDropped: Record<InnerDropReason, number>;
}

export interface L2tpOverEspOptions {
  readonly sas: EspSaPair;
  readonly localAddress: string;
  readonly serverAddress: string;
  /** Hands a sealed ESP packet to UDP 4500. */
  sendEsp(packet: Uint8Array): void;
  /** Called for every authentic inbound ESP packet (proof of life for DPD). */
  onAuthentic?(): void;
  /** An SA refused to send because a hard limit was hit. */
  onExhausted?(refusal: SealRefusal, spi: number): void;
  readonly logger: Logger;
}

export class L2tpOverEsp {
  readonly counters: DataPathCounters = {
    datagramsOut: 0,
    datagramsIn: 0,
    espDropped: 0,
    sealRefused: { 'sequence-exhausted': 0, 'byte-limit': 0, 'too-large': 0, 'bad-next-header': 0 },
    innerDropped: { 'not-udp': 0, 'bad-ip': 0, 'bad-udp': 0, 'wrong-port': 0 },
  };
  private readonly table = new InboundSaTable();
  private current: EspSaPair;
  private readonly retired: InboundSa[] = [];
  private handler: (datagram: Uint8Array) => void = () => {};
  /** Reused for every datagram: sealParts copies it before returning. */
  private readonly udpHeader = new Uint8Array(8);

  constructor(private readonly o: L2tpOverEspOptions) {
    this.current = o.sas;
    this.table.add(o.sas.inbound);
  }

  get sas(): EspSaPair {
    return this.current;
  }

  onDatagram(handler: (datagram: Uint8Array) => void): void {
    this.handler = handler;
  }

  /** Sends one L2TP message: UDP 1701 -> 1701, checksum 0 (RFC 768, allowed for IPv4; RFC 3948 §3.1.1). */
  send(datagram: Uint8Array): boolean {
    return this.sendParts([datagram]);
  }

  /** Gather variant: the parts form one L2TP message; they are copied into the ESP packet, never kept. */
  sendParts(parts: readonly Uint8Array[]): boolean {
    const { outbound, mode } = this.current;
    let length = 0;
    for (const p of parts) length += p.length;
    let sealed: ReturnType<OutboundSa['seal']>;
    if (mode === 'transport') {
      writeUdpHeader(this.udpHeader, 0, L2TP_PORT, L2TP_PORT, 8 + length);
      sealed = outbound.sealParts([this.udpHeader, ...parts], NEXT_HEADER_UDP);
    } else {
      sealed = outbound.seal(this.tunnelPacket(parts, length), NEXT_HEADER_IPV4);
    }
    if (!sealed.ok) {
      this.counters.sealRefused[sealed.error]++;
      if (sealed.error === 'sequence-exhausted' || sealed.error === 'byte-limit')
        this.o.onExhausted?.(sealed.error, outbound.spi);
      return false;
    }
    this.counters.datagramsOut++;
    this.o.sendEsp(sealed.value.packet);
    return true;
  }

  /** One ESP packet from UDP 4500 (non-ESP marker and keepalives already demultiplexed). Never throws. */
  receive(packet: Uint8Array): void {
    const opened = this.table.open(packet);
    if (!opened.ok) {
      this.counters.espDropped++;
      return;
    }
    this.o.onAuthentic?.();
    const { payload, nextHeader } = opened.value;
    let udp = payload;
    if (nextHeader === NEXT_HEADER_IPV4) {
      const ip = decodeIpv4Header(payload);
      if (!ip.ok) {
        this.drop('bad-ip');
        return;
      }
      if (ip.value.protocol !== IPPROTO_UDP || ip.value.fragmentOffset !== 0 || ip.value.moreFragments) {
        this.drop('not-udp');
        return;
      }
      udp = payload.subarray(ip.value.headerLength, ip.value.totalLength);
    } else if (nextHeader !== NEXT_HEADER_UDP) {
      this.drop('not-udp');
      return;
    }
    // The inner UDP checksum is not checked: the ICV protects the datagram (RFC 3948 §3.1.2).
    const h = decodeUdpHeader(udp);
    if (!h.ok) {
      this.drop('bad-udp');
      return;
    }
    if (h.value.sourcePort !== L2TP_PORT) {
      this.drop('wrong-port');
      return;
    }
    this.counters.datagramsIn++;
    this.handler(udp.subarray(8, h.value.length));
  }

  /**
   * Rekey (RFC 2409 §5.5 again): the new pair sends from now on; the old inbound SA keeps receiving until
   * `retire()` so packets already in flight are not lost.
   */
  install(pair: EspSaPair): InboundSa {
    const old = this.current.inbound;
    this.table.add(pair.inbound);
    this.current = pair;
    this.retired.push(old);
    return old;
  }

  /** Stops accepting an old inbound SA. */
  retire(spi: number): void {
    if (spi === this.current.inbound.spi) return;
    this.table.remove(spi);
    const i = this.retired.findIndex((s) => s.spi === spi);
    if (i >= 0) this.retired.splice(i, 1);
  }

  stats(): Record<string, unknown> {
    return {
      mode: this.current.mode,
      out: this.current.outbound.stats(),
      in: this.current.inbound.stats(),
      retiredIn: this.retired.map((s) => s.stats()),
      table: this.table.drops(),
      counters: {
        ...this.counters,
        sealRefused: { ...this.counters.sealRefused },
        innerDropped: { ...this.counters.innerDropped },
      },
    };
  }

  private tunnelPacket(parts: readonly Uint8Array[], length: number): Uint8Array {
    const udp = new Uint8Array(8 + length);
    writeUdpHeader(udp, 0, L2TP_PORT, L2TP_PORT, udp.length);
    let o = 8;
    for (const p of parts) {
      udp.set(p, o);
      o += p.length;
    }
    return encodeIpv4(
      { source: this.o.localAddress, destination: this.o.serverAddress, protocol: IPPROTO_UDP },
      udp,
    );
  }

  private drop(reason: InnerDropReason): void {
    this.counters.innerDropped[reason]++;
    if (this.counters.innerDropped[reason] === 1) this.o.logger.debug('dropped an inner packet', { reason });
  }
}
