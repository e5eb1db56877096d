/**
 * Inbound ESP SA (RFC 4303 §3.4): SPI and length checks, anti-replay, ICV verification before decryption,
 * trailer and next-header checks. Never throws: every drop is a typed reason and a counter.
 */
import { type Logger, silentLogger } from '../common/log';
import { err, ok, type Result } from '../common/result';
import {
  ESP_HEADER_LENGTH,
  ESP_TRAILER_LENGTH,
  NEXT_HEADER_IPV4,
  NEXT_HEADER_NONE,
  NEXT_HEADER_UDP,
  parseTrailer,
  peekSeq,
  peekSpi,
  spiHex,
} from './packet';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replayWindow';
import { type CryptoProvider, createEspSuite, type EspSuite } from './suite';
import { describeTransform, type EspKeys, type EspTransform } from './transforms';

export type EspDropReason =
  /** No SA has this SPI. */
  | 'bad-spi'
  /** Too short, or ciphertext not a whole number of cipher blocks. */
  | 'malformed'
  /** Sequence number already received (or 0). */
  | 'replay'
  /** Sequence number left of the replay window. */
  | 'too-old'
  /** ICV mismatch: forged, corrupted or under another key. */
  | 'auth-failed'
  /** Authentic, but padding is not 1, 2, 3, … or longer than the payload. */
  | 'bad-padding'
  /** Authentic, but carrying a protocol this SA does not accept. */
  | 'bad-next-header'
  /** Authentic dummy packet (Next Header 59, RFC 4303 §2.6): discarded by design. */
  | 'dummy'
  /** An exception escaped the checks: a bug, logged. */
  | 'internal';

export const ESP_DROP_REASONS: readonly EspDropReason[] = [
  'bad-spi',
  'malformed',
  'replay',
  'too-old',
  'auth-failed',
  'bad-padding',
  'bad-next-header',
  'dummy',
  'internal',
];

export type DropCounters = Record<EspDropReason, number>;
export const zeroDropCounters = (): DropCounters => ({
  'bad-spi': 0,
  malformed: 0,
  replay: 0,
  'too-old': 0,
  'auth-failed': 0,
  'bad-padding': 0,
  'bad-next-header': 0,
  dummy: 0,
  internal: 0,
});

export interface Opened {
  /** The inner UDP datagram (transport) or IPv4 packet (tunnel): a view, valid until the caller drops it. */
  readonly payload: Uint8Array;
  readonly nextHeader: number;
  readonly seq: number;
}

export interface InboundStats {
  readonly packets: number;
  /** Payload bytes delivered. */
  readonly bytes: number;
  readonly drops: Readonly<DropCounters>;
  readonly highestSeq: number;
}

export interface InboundSaOptions {
  readonly spi: number;
  readonly transform: EspTransform;
  readonly keys: EspKeys;
  readonly provider?: CryptoProvider;
  /** Anti-replay window in packets; default 1024, minimum 64, rounded up to a power of two. */
  readonly replayWindow?: number;
  /** Next Header values delivered; default UDP (transport mode) and IPv4 (tunnel mode). */
  readonly acceptNextHeaders?: readonly number[];
  /** Require the default 1, 2, 3, … padding (RFC 4303 §2.4 SHOULD); default true. */
  readonly checkPadding?: boolean;
  readonly logger?: Logger;
}

export class InboundSa {
  readonly spi: number;
  readonly transform: EspTransform;
  private readonly suite: EspSuite;
  private readonly window: ReplayWindow;
  private readonly accept: Uint8Array = new Uint8Array(256);
  private readonly checkPadding: boolean;
  private readonly minLength: number;
  private readonly log: Logger;
  private packets = 0;
  private bytes = 0;
  private readonly drops = zeroDropCounters();

  constructor(opts: InboundSaOptions) {
    this.spi = opts.spi >>> 0;
    this.transform = opts.transform;
    this.suite = createEspSuite(opts.transform, opts.keys, opts.provider ? { provider: opts.provider } : {});
    this.window = new ReplayWindow(opts.replayWindow ?? DEFAULT_REPLAY_WINDOW);
    for (const nh of opts.acceptNextHeaders ?? [NEXT_HEADER_UDP, NEXT_HEADER_IPV4])
      this.accept[nh & 0xff] = 1;
    this.checkPadding = opts.checkPadding ?? true;
    const s = this.suite;
    this.minLength =
      ESP_HEADER_LENGTH + s.ivLength + Math.max(s.cipherBlockSize, ESP_TRAILER_LENGTH) + s.icvLength;
    this.log = (opts.logger ?? silentLogger).child('esp');
    this.log.debug('inbound SA ready', {
      spi: spiHex(this.spi),
      transform: describeTransform(opts.transform),
      provider: s.provider,
      replayWindow: this.window.size,
    });
  }

  get replayWindowSize(): number {
    return this.window.size;
  }

  get provider(): CryptoProvider {
    return this.suite.provider;
  }

  /** Processes one ESP packet (from the SPI on, UDP encapsulation already removed). */
  open(packet: Uint8Array): Result<Opened, EspDropReason> {
    try {
      return this.process(packet);
    } catch (e) {
      this.log.error('ESP inbound processing failed', {
        spi: spiHex(this.spi),
        length: packet.length,
        error: e,
      });
      return this.drop('internal', 0);
    }
  }

  stats(): InboundStats {
    return {
      packets: this.packets,
      bytes: this.bytes,
      drops: { ...this.drops },
      highestSeq: this.window.highest,
    };
  }

  private process(packet: Uint8Array): Result<Opened, EspDropReason> {
    const s = this.suite;
    if (packet.length < this.minLength) return this.drop('malformed', 0);
    if (peekSpi(packet) !== this.spi) return this.drop('bad-spi', 0);
    const ctLength = packet.length - ESP_HEADER_LENGTH - s.ivLength - s.icvLength;
    if (ctLength % s.cipherBlockSize !== 0) return this.drop('malformed', 0);
    const seq = peekSeq(packet);
    // RFC 4303 §3.4.3: the cheap replay check comes before the ICV check …
    const verdict = this.window.check(seq);
    if (verdict !== 'ok') return this.drop(verdict, seq);
    const plaintext = s.open(packet);
    if (plaintext === null) return this.drop('auth-failed', seq);
    // … and the window moves only for packets that authenticated.
    this.window.accept(seq);
    const trailer = parseTrailer(plaintext, this.checkPadding);
    if (typeof trailer === 'string') return this.drop(trailer, seq);
    if (trailer.nextHeader === NEXT_HEADER_NONE) return this.drop('dummy', seq);
    if (this.accept[trailer.nextHeader] !== 1) return this.drop('bad-next-header', seq);
    this.packets++;
    this.bytes += trailer.payloadLength;
    // A plain Uint8Array view (node returns Buffers, whose slice() does not copy).
    const payload = new Uint8Array(plaintext.buffer, plaintext.byteOffset, trailer.payloadLength);
    return ok({ payload, nextHeader: trailer.nextHeader, seq });
  }

  private drop(reason: EspDropReason, seq: number): Result<never, EspDropReason> {
    const n = ++this.drops[reason];
    // Logged at 1, 2, 4, 8, … occurrences so a flood cannot flood the log.
    if ((n & (n - 1)) === 0 && reason !== 'dummy') {
      this.log.debug('ESP packet dropped', { spi: spiHex(this.spi), reason, seq, count: n });
    }
    return err(reason);
  }
}
