/** Outbound ESP SA (RFC 4303 §3.1-3.3): sequence numbers, IVs, padding, encryption and ICV, one packet per call. */
import { FerryError } from '../common/errors';
import { Emitter } from '../common/events';
import { type Logger, silentLogger } from '../common/log';
import { type RandomSource, systemRandom } from '../common/random';
import { err, ok, type Result } from '../common/result';
import { ESP_HEADER_LENGTH, padLengthFor, spiHex, writeTrailer } from './packet';
import { RandomPool } from './randomPool';
import { type CryptoProvider, createEspSuite, type EspSuite } from './suite';
import { describeTransform, type EspKeys, type EspTransform } from './transforms';

/** The highest 32-bit sequence number; the counter must never cycle without ESN (RFC 4303 §3.3.3). */
export const MAX_SEQUENCE = 0xffffffff;
/** Largest ESP packet a UDP/IPv4 datagram can carry (65535 - 20 IP - 8 UDP). */
export const MAX_ESP_PACKET = 65507;

export interface SaLimits {
  /** Sequence number at which 'rekey-needed' fires; default 90 % of 2^32 - 1 (SPEC §2 rekeys at 90 %). */
  readonly softPackets?: number;
  /** Last sequence number that may be sent; default and maximum 2^32 - 1. */
  readonly hardPackets?: number;
  /** Payload bytes after which 'rekey-needed' fires (IKEv1 kilobyte lifetimes, RFC 2407 §4.5). */
  readonly softBytes?: number;
  /** Payload bytes after which sealing is refused. */
  readonly hardBytes?: number;
}

export interface OutboundSaOptions {
  readonly spi: number;
  readonly transform: EspTransform;
  readonly keys: EspKeys;
  /** CBC IVs and the GCM IV mask come from here. */
  readonly random?: RandomSource;
  readonly provider?: CryptoProvider;
  readonly limits?: SaLimits;
  readonly logger?: Logger;
  /** Bytes drawn from `random` at a time for CBC IVs; default 4096. */
  readonly randomPoolBytes?: number;
}

export type SealRefusal = 'sequence-exhausted' | 'byte-limit' | 'too-large' | 'bad-next-header';
export const SEAL_REFUSALS: readonly SealRefusal[] = [
  'sequence-exhausted',
  'byte-limit',
  'too-large',
  'bad-next-header',
];

export interface Sealed {
  /** The ESP packet from the SPI on, ready for UDP encapsulation (RFC 3948 §2.1). */
  readonly packet: Uint8Array;
  readonly seq: number;
}

export interface OutboundStats {
  readonly packets: number;
  /** Payload bytes protected. */
  readonly bytes: number;
  /** ESP bytes produced. */
  readonly wireBytes: number;
  readonly refused: Readonly<Record<SealRefusal, number>>;
  readonly lastSeq: number;
}

export type LimitKind = 'packets' | 'bytes';
export interface OutboundEvents {
  /** A soft limit was crossed: negotiate a new SA now. Fires once per SA. */
  'rekey-needed': (why: LimitKind) => void;
  /** A hard limit was reached: this SA will not send again. Fires once per SA. */
  exhausted: (why: LimitKind) => void;
}

export class OutboundSa {
  readonly spi: number;
  readonly transform: EspTransform;
  readonly events = new Emitter<OutboundEvents>();
  private readonly suite: EspSuite;
  private readonly log: Logger;
  private readonly pool: RandomPool;
  /** GCM: IV = 64-bit sequence number XOR this per-SA mask, unique under the key (RFC 4106 §3.1). */
  private readonly ivMask: Uint8Array | null;
  private readonly softPackets: number;
  private readonly hardPackets: number;
  private readonly softBytes: number;
  private readonly hardBytes: number;
  private scratch = new Uint8Array(2048);
  private seq = 0;
  private packets = 0;
  private bytes = 0;
  private wireBytes = 0;
  private readonly refused: Record<SealRefusal, number> = {
    'sequence-exhausted': 0,
    'byte-limit': 0,
    'too-large': 0,
    'bad-next-header': 0,
  };
  private softSignalled = false;
  private hardSignalled = false;

  constructor(opts: OutboundSaOptions) {
    this.spi = opts.spi >>> 0;
    this.transform = opts.transform;
    this.suite = createEspSuite(opts.transform, opts.keys, opts.provider ? { provider: opts.provider } : {});
    const random = opts.random ?? systemRandom;
    this.pool = new RandomPool(random, opts.randomPoolBytes);
    this.ivMask = opts.transform.cipher === 'aes-gcm-16' ? random(8).slice(0, 8) : null;
    const l = opts.limits ?? {};
    this.hardPackets = Math.min(l.hardPackets ?? MAX_SEQUENCE, MAX_SEQUENCE);
    this.softPackets = Math.min(l.softPackets ?? Math.floor(MAX_SEQUENCE * 0.9), this.hardPackets);
    this.hardBytes = l.hardBytes ?? Number.POSITIVE_INFINITY;
    this.softBytes = Math.min(l.softBytes ?? Number.POSITIVE_INFINITY, this.hardBytes);
    this.log = (opts.logger ?? silentLogger).child('esp');
    this.log.debug('outbound SA ready', {
      spi: spiHex(this.spi),
      transform: describeTransform(opts.transform),
      provider: this.suite.provider,
    });
  }

  /** Last sequence number used (0 before the first packet). */
  get sequence(): number {
    return this.seq;
  }

  get provider(): CryptoProvider {
    return this.suite.provider;
  }

  /** True once a soft limit has been crossed. */
  get rekeyNeeded(): boolean {
    return this.softSignalled;
  }

  /** Protects `payload` (a UDP datagram in transport mode, an IPv4 packet in tunnel mode). */
  seal(payload: Uint8Array, nextHeader: number): Result<Sealed, SealRefusal> {
    const pt = this.plaintext(payload.length, nextHeader);
    if (typeof pt === 'string') return this.refuse(pt);
    pt.set(payload, 0);
    return ok(this.finish(pt, payload.length));
  }

  /**
   * Protects the concatenation of `parts` without the caller concatenating them first, e.g.
   * [UDP header, L2TP header, PPP header, IP packet]: the parts are gathered into a per-SA scratch buffer
   * (one memcpy each) so the cipher still sees a single update().
   */
  sealParts(parts: readonly Uint8Array[], nextHeader: number): Result<Sealed, SealRefusal> {
    let n = 0;
    for (const p of parts) n += p.length;
    const pt = this.plaintext(n, nextHeader);
    if (typeof pt === 'string') return this.refuse(pt);
    let at = 0;
    for (const p of parts) {
      pt.set(p, at);
      at += p.length;
    }
    return ok(this.finish(pt, n));
  }

  stats(): OutboundStats {
    return {
      packets: this.packets,
      bytes: this.bytes,
      wireBytes: this.wireBytes,
      refused: { ...this.refused },
      lastSeq: this.seq,
    };
  }

  /** Scratch plaintext with the trailer written after `payloadLength` bytes, or why sealing is refused. */
  private plaintext(payloadLength: number, nextHeader: number): Uint8Array | SealRefusal {
    if (!Number.isInteger(nextHeader) || nextHeader < 0 || nextHeader > 255) return 'bad-next-header';
    if (this.seq >= this.hardPackets) return this.exhaust('packets');
    if (this.bytes + payloadLength > this.hardBytes) return this.exhaust('bytes');
    const s = this.suite;
    const pad = padLengthFor(payloadLength, s.alignment);
    const ptLength = payloadLength + pad + 2;
    if (ESP_HEADER_LENGTH + s.ivLength + ptLength + s.icvLength > MAX_ESP_PACKET) return 'too-large';
    if (this.scratch.length < ptLength)
      this.scratch = new Uint8Array(Math.max(ptLength, this.scratch.length * 2));
    const pt = this.scratch.subarray(0, ptLength);
    writeTrailer(pt, payloadLength, pad, nextHeader); // RFC 4303 §2.4-2.6
    return pt;
  }

  private finish(pt: Uint8Array, payloadLength: number): Sealed {
    const s = this.suite;
    const seq = ++this.seq; // RFC 4303 §3.3.3: first packet is 1
    // Every byte is written below: header, IV, ciphertext and ICV.
    const packet = Buffer.allocUnsafe(ESP_HEADER_LENGTH + s.ivLength + pt.length + s.icvLength);
    packet.writeUInt32BE(this.spi, 0);
    packet.writeUInt32BE(seq, 4);
    if (this.ivMask) {
      const m = this.ivMask;
      for (let i = 0; i < 4; i++) packet[8 + i] = m[i]!;
      packet.writeUInt32BE((seq ^ ((m[4]! << 24) | (m[5]! << 16) | (m[6]! << 8) | m[7]!)) >>> 0, 12);
    } else {
      this.pool.fill(packet, ESP_HEADER_LENGTH, s.ivLength); // RFC 3602 §2.1: unpredictable IV
    }
    s.seal(packet, pt);
    this.packets++;
    this.bytes += payloadLength;
    this.wireBytes += packet.length;
    if (!this.softSignalled && (seq >= this.softPackets || this.bytes >= this.softBytes)) {
      this.signalSoft(seq >= this.softPackets ? 'packets' : 'bytes');
    }
    // A plain Uint8Array view: Buffer's slice() would share memory where callers expect a copy.
    return { packet: new Uint8Array(packet.buffer, packet.byteOffset, packet.length), seq };
  }

  private signalSoft(why: LimitKind): void {
    this.softSignalled = true;
    this.log.info('ESP SA needs rekeying', { spi: spiHex(this.spi), limit: why, seq: this.seq });
    this.events.emit('rekey-needed', why);
  }

  private exhaust(why: LimitKind): SealRefusal {
    if (!this.hardSignalled) {
      this.hardSignalled = true;
      if (!this.softSignalled) this.signalSoft(why);
      this.log.warn('ESP SA exhausted, refusing to send', {
        spi: spiHex(this.spi),
        limit: why,
        seq: this.seq,
      });
      this.events.emit('exhausted', why);
    }
    return why === 'packets' ? 'sequence-exhausted' : 'byte-limit';
  }

  private refuse(reason: SealRefusal): Result<never, SealRefusal> {
    this.refused[reason]++;
    return err(reason);
  }
}

/** A refusal as a FerryError for the connection's error path. */
export function sealRefusalError(reason: SealRefusal, spi: number): FerryError {
  const hints: Record<SealRefusal, string> = {
    'sequence-exhausted': 'The IPsec SA reached its packet limit before a rekey completed; reconnect.',
    'byte-limit': 'The IPsec SA reached its negotiated data lifetime before a rekey completed; reconnect.',
    'too-large': 'A packet exceeded the largest UDP datagram; lower the tunnel MTU.',
    'bad-next-header': 'This is a bug in the packet path; report it with the connection log.',
  };
  return new FerryError({
    phase: 'established',
    code: `esp-${reason}`,
    message: `ESP SA ${spiHex(spi)} refused to send: ${reason}`,
    hint: hints[reason],
  });
}
