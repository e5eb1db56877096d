/** Phase-1 key material (RFC 2409 §5, §5.4 and App. B). Pure functions over byte strings. */
import { concatBytes } from '../../common/bytes';
import { digest, type HashAlgorithm, prf } from './hash';

/** SKEYID for pre-shared key authentication: prf(pre-shared-key, Ni_b | Nr_b) (RFC 2409 §5). */
export function skeyidPsk(alg: HashAlgorithm, psk: Uint8Array, ni: Uint8Array, nr: Uint8Array): Uint8Array {
  return prf(alg, psk, ni, nr);
}

export interface Phase1KeyMaterial {
  readonly skeyid: Uint8Array;
  /** Keys phase-2 KEYMAT (RFC 2409 §5.5). */
  readonly skeyidD: Uint8Array;
  /** Authenticates phase-2 and informational messages (HASH(1..3)). */
  readonly skeyidA: Uint8Array;
  readonly skeyidE: Uint8Array;
  /** The phase-1 encryption key derived from SKEYID_e (App. B). */
  readonly encryptionKey: Uint8Array;
}

/**
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)   (RFC 2409 §5)
 */
export function derivePhase1Keys(
  alg: HashAlgorithm,
  skeyid: Uint8Array,
  gxy: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
  encryptionKeyLength: number,
): Phase1KeyMaterial {
  const skeyidD = prf(alg, skeyid, gxy, ckyI, ckyR, Uint8Array.of(0));
  const skeyidA = prf(alg, skeyid, skeyidD, gxy, ckyI, ckyR, Uint8Array.of(1));
  const skeyidE = prf(alg, skeyid, skeyidA, gxy, ckyI, ckyR, Uint8Array.of(2));
  return {
    skeyid,
    skeyidD,
    skeyidA,
    skeyidE,
    encryptionKey: expandEncryptionKey(alg, skeyidE, encryptionKeyLength),
  };
}

/**
 * The cipher key from SKEYID_e (RFC 2409 App. B): its leading bytes if long enough, otherwise
 * Ka = K1 | K2 | ... with K1 = prf(SKEYID_e, 0) (a single zero octet) and Kn = prf(SKEYID_e, Kn-1).
 */
export function expandEncryptionKey(alg: HashAlgorithm, skeyidE: Uint8Array, length: number): Uint8Array {
  if (skeyidE.length >= length) return skeyidE.slice(0, length);
  const blocks: Uint8Array[] = [];
  let k = prf(alg, skeyidE, Uint8Array.of(0));
  let have = 0;
  for (;;) {
    blocks.push(k);
    have += k.length;
    if (have >= length) break;
    k = prf(alg, skeyidE, k);
  }
  return concatBytes(...blocks).slice(0, length);
}

/** The first phase-1 IV: hash(g^xi | g^xr) truncated to the block size (RFC 2409 App. B). */
export function phase1InitialIv(
  alg: HashAlgorithm,
  gxi: Uint8Array,
  gxr: Uint8Array,
  blockSize: number,
): Uint8Array {
  return digest(alg, gxi, gxr).slice(0, blockSize);
}

/** The first IV of a phase-2/informational exchange: hash(last phase-1 CBC block | M-ID) (RFC 2409 App. B). */
export function exchangeInitialIv(
  alg: HashAlgorithm,
  lastPhase1Block: Uint8Array,
  messageId: number,
  blockSize: number,
): Uint8Array {
  return digest(alg, lastPhase1Block, messageIdBytes(messageId)).slice(0, blockSize);
}

/** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) (RFC 2409 §5). */
export function hashI(
  alg: HashAlgorithm,
  skeyid: Uint8Array,
  p: {
    gxi: Uint8Array;
    gxr: Uint8Array;
    ckyI: Uint8Array;
    ckyR: Uint8Array;
    saiB: Uint8Array;
    idiiB: Uint8Array;
  },
): Uint8Array {
  return prf(alg, skeyid, p.gxi, p.gxr, p.ckyI, p.ckyR, p.saiB, p.idiiB);
}

/** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) (RFC 2409 §5). */
export function hashR(
  alg: HashAlgorithm,
  skeyid: Uint8Array,
  p: {
    gxi: Uint8Array;
    gxr: Uint8Array;
    ckyI: Uint8Array;
    ckyR: Uint8Array;
    saiB: Uint8Array;
    idirB: Uint8Array;
  },
): Uint8Array {
  return prf(alg, skeyid, p.gxr, p.gxi, p.ckyR, p.ckyI, p.saiB, p.idirB);
}

/** The 4-byte M-ID as hashed in HASH(1..3) (RFC 2409 §5.5, §5.7). */
export function messageIdBytes(messageId: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, messageId >>> 0);
  return b;
}

/** HASH(1) of an informational exchange: prf(SKEYID_a, M-ID | N/D) over the payloads after HASH (RFC 2409 §5.7). */
export function informationalHash(
  alg: HashAlgorithm,
  skeyidA: Uint8Array,
  messageId: number,
  payloadsAfterHash: Uint8Array,
): Uint8Array {
  return prf(alg, skeyidA, messageIdBytes(messageId), payloadsAfterHash);
}
