/** Quick Mode key material and authentication hashes (RFC 2409 §5.5). Pure functions over byte strings. */
import { concatBytes } from '../../common/bytes';
import { type HashAlgorithm, prf } from '../crypto/hash';
import { messageIdBytes } from '../crypto/keys';

export interface KeymatInput {
  /** IPsec protocol ID (ESP = 3). */
  readonly protocol: number;
  /** The SPI of the SA being keyed: the one its receiver chose. */
  readonly spi: number;
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  /** g(qm)^xy when PFS was negotiated. */
  readonly gxy?: Uint8Array | null;
}

/**
 * KEYMAT = K1 | K2 | ... with K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) and
 * Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), truncated to `length` (RFC 2409 §5.5).
 */
export function deriveKeymat(
  alg: HashAlgorithm,
  skeyidD: Uint8Array,
  input: KeymatInput,
  length: number,
): Uint8Array {
  const spi = new Uint8Array(4);
  new DataView(spi.buffer).setUint32(0, input.spi >>> 0);
  const seed = concatBytes(
    input.gxy ?? new Uint8Array(0),
    Uint8Array.of(input.protocol),
    spi,
    input.ni,
    input.nr,
  );
  const blocks: Uint8Array[] = [];
  let have = 0;
  let k = prf(alg, skeyidD, seed);
  for (;;) {
    blocks.push(k);
    have += k.length;
    if (have >= length) break;
    k = prf(alg, skeyidD, k, seed);
  }
  return concatBytes(...blocks).slice(0, length);
}

/** HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr] ...): every payload after the HASH (RFC 2409 §5.5). */
export function quickModeHash1(
  alg: HashAlgorithm,
  skeyidA: Uint8Array,
  messageId: number,
  afterHash: Uint8Array,
): Uint8Array {
  return prf(alg, skeyidA, messageIdBytes(messageId), afterHash);
}

/** HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr] ...) (RFC 2409 §5.5). */
export function quickModeHash2(
  alg: HashAlgorithm,
  skeyidA: Uint8Array,
  messageId: number,
  ni: Uint8Array,
  afterHash: Uint8Array,
): Uint8Array {
  return prf(alg, skeyidA, messageIdBytes(messageId), ni, afterHash);
}

/** HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (RFC 2409 §5.5). */
export function quickModeHash3(
  alg: HashAlgorithm,
  skeyidA: Uint8Array,
  messageId: number,
  ni: Uint8Array,
  nr: Uint8Array,
): Uint8Array {
  return prf(alg, skeyidA, Uint8Array.of(0), messageIdBytes(messageId), ni, nr);
}
