/** ESP packet framing (RFC 4303 §2): the clear header, and the padding/trailer inside the ciphertext. */
import { ByteReader } from '../common/bytes';
import { decoder, fail } from '../common/decode';

/** SPI (4) + Sequence Number (4). */
export const ESP_HEADER_LENGTH = 8;
/** Pad Length (1) + Next Header (1). */
export const ESP_TRAILER_LENGTH = 2;
/** RFC 4303 §2.6: Next Header 59 ("no next header") marks a dummy packet to be discarded. */
export const NEXT_HEADER_NONE = 59;
/** Transport mode carries the L2TP UDP datagram; tunnel mode an IPv4 packet (IP-in-IP). */
export const NEXT_HEADER_UDP = 17;
export const NEXT_HEADER_IPV4 = 4;

export interface EspHeader {
  readonly spi: number;
  readonly seq: number;
  /** IV, ciphertext and ICV: a view into the input. */
  readonly body: Uint8Array;
}

/** Reads the clear ESP header; RFC 4303 §2.1 reserves SPI 0 and 1..255. */
export const decodeEspHeader = decoder((packet: Uint8Array): EspHeader => {
  const r = new ByteReader(packet);
  const spi = r.u32('SPI');
  if (spi < 256) fail('invalid', `reserved SPI ${spi}`, 0);
  const seq = r.u32('sequence number');
  return { spi, seq, body: r.rest() };
});

/** SPIs are public identifiers: logged as 8 hex digits. */
export const spiHex = (spi: number): string => spi.toString(16).padStart(8, '0');

/** SPI of an ESP packet without decoding the rest, or -1 if it is shorter than a header. */
export function peekSpi(packet: Uint8Array): number {
  if (packet.length < ESP_HEADER_LENGTH) return -1;
  return ((packet[0]! << 24) | (packet[1]! << 16) | (packet[2]! << 8) | packet[3]!) >>> 0;
}

export function peekSeq(packet: Uint8Array): number {
  return ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
}

/** RFC 4303 §2.4: the fewest padding bytes that make payload + trailer a multiple of `alignment`. */
export function padLengthFor(payloadLength: number, alignment: number): number {
  const rem = (payloadLength + ESP_TRAILER_LENGTH) % alignment;
  return rem === 0 ? 0 : alignment - rem;
}

/** Writes the default padding 1, 2, 3, … (RFC 4303 §2.4), Pad Length and Next Header at `at`. */
export function writeTrailer(out: Uint8Array, at: number, padLength: number, nextHeader: number): void {
  for (let i = 0; i < padLength; i++) out[at + i] = i + 1;
  out[at + padLength] = padLength;
  out[at + padLength + 1] = nextHeader;
}

/** Why a decrypted payload's trailer was refused. */
export type TrailerProblem = 'malformed' | 'bad-padding';

export interface EspTrailer {
  readonly payloadLength: number;
  readonly padLength: number;
  readonly nextHeader: number;
}

/**
 * Parses the trailer of decrypted `plaintext` (RFC 4303 §2.4-2.6). With `checkPadding` the padding must be the
 * default 1, 2, 3, … sequence (the receiver SHOULD inspect it, §2.4). Returns a problem instead of throwing.
 */
export function parseTrailer(plaintext: Uint8Array, checkPadding: boolean): EspTrailer | TrailerProblem {
  const n = plaintext.length;
  if (n < ESP_TRAILER_LENGTH) return 'malformed';
  const padLength = plaintext[n - 2]!;
  const nextHeader = plaintext[n - 1]!;
  const payloadLength = n - ESP_TRAILER_LENGTH - padLength;
  if (payloadLength < 0) return 'bad-padding';
  if (checkPadding) {
    for (let i = 0; i < padLength; i++) if (plaintext[payloadLength + i] !== i + 1) return 'bad-padding';
  }
  return { payloadLength, padLength, nextHeader };
}

/** parseTrailer as a total decoder, for tests and fuzzing under the codebase's codec conventions. */
export const decodeEspTrailer = decoder((plaintext: Uint8Array, checkPadding?: boolean): EspTrailer => {
  const t = parseTrailer(plaintext, checkPadding ?? true);
  if (t === 'malformed') fail('truncated', 'plaintext shorter than the ESP trailer', 0);
  if (t === 'bad-padding')
    fail('invalid', 'ESP padding is not 1, 2, 3, …', Math.max(0, plaintext.length - 2));
  return t;
});
