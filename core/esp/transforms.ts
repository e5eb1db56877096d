/**
 * The ESP transforms Ferry implements and how they map to IKEv1 Quick Mode attributes:
 * ESP transform IDs (RFC 2407 §4.4.4, IANA "IPsec ESP Transform Identifiers"), the Authentication Algorithm
 * attribute (RFC 2407 §4.5, IANA "IPsec Authentication Algorithm"), and the Key Length attribute in bits.
 */
import { err, ok, type Result } from '../common/result';
import type { EspCipherName, EspIntegrityName, Phase2Proposal } from '../profile/algorithms';

export type EspCipher = 'aes-cbc' | '3des-cbc' | 'aes-gcm-16';
export type EspIntegrity =
  | 'hmac-sha1-96'
  | 'hmac-sha256-128'
  | 'hmac-sha384-192'
  | 'hmac-sha512-256'
  | 'hmac-md5-96';
export type AesKeyBits = 128 | 192 | 256;

/** One negotiated ESP transform. AES-GCM is a combined mode and carries no separate integrity algorithm. */
export type EspTransform =
  | { readonly cipher: 'aes-cbc'; readonly keyBits: AesKeyBits; readonly integrity: EspIntegrity }
  | { readonly cipher: '3des-cbc'; readonly integrity: EspIntegrity }
  | { readonly cipher: 'aes-gcm-16'; readonly keyBits: AesKeyBits };

export const ESP_CIPHER_NAMES: readonly EspCipher[] = ['aes-cbc', '3des-cbc', 'aes-gcm-16'];
export const ESP_INTEGRITY_NAMES: readonly EspIntegrity[] = [
  'hmac-sha1-96',
  'hmac-sha256-128',
  'hmac-sha384-192',
  'hmac-sha512-256',
  'hmac-md5-96',
];

/** IKEv1 ESP transform IDs (RFC 2407 §4.4.4; ESP_AES_CBC RFC 3602 §5.3; ESP_AES_GCM_16 RFC 4106 §8.4). */
export const ESP_TRANSFORM_ID: Readonly<Record<EspCipher, number>> = {
  '3des-cbc': 3,
  'aes-cbc': 12,
  'aes-gcm-16': 20,
};

/** IKEv1 Authentication Algorithm attribute values (RFC 2407 §4.5; SHA-2 values RFC 4868 §4). */
export const ESP_AUTH_ALGORITHM: Readonly<Record<EspIntegrity, number>> = {
  'hmac-md5-96': 1,
  'hmac-sha1-96': 2,
  'hmac-sha256-128': 5,
  'hmac-sha384-192': 6,
  'hmac-sha512-256': 7,
};

/** Registered IDs Ferry does not implement, so a refusal can name what the peer chose. */
const OTHER_TRANSFORM_IDS: Readonly<Record<number, string>> = {
  1: 'ESP_DES_IV64',
  2: 'ESP_DES',
  11: 'ESP_NULL',
  13: 'ESP_AES_CTR',
  14: 'ESP_AES_CCM_8',
  15: 'ESP_AES_CCM_12',
  16: 'ESP_AES_CCM_16',
  18: 'ESP_AES_GCM_8',
  19: 'ESP_AES_GCM_12',
  22: 'ESP_CAMELLIA',
  23: 'ESP_NULL_AUTH_AES_GMAC',
};
const OTHER_AUTH_ALGORITHMS: Readonly<Record<number, string>> = {
  3: 'DES-MAC',
  4: 'KPDK',
  8: 'HMAC-RIPEMD',
  9: 'AES-XCBC-MAC',
  11: 'AES-128-GMAC',
  12: 'AES-192-GMAC',
  13: 'AES-256-GMAC',
};

export interface IntegrityInfo {
  /** node:crypto / @noble/hashes digest name. */
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'md5';
  readonly keyLength: number;
  readonly icvLength: number;
}

/** Key and truncation lengths: RFC 2404 §2-3 (SHA1-96), RFC 4868 §2.6 (SHA-2), RFC 2403 §2-3 (MD5-96). */
export const INTEGRITY_INFO: Readonly<Record<EspIntegrity, IntegrityInfo>> = {
  'hmac-sha1-96': { hash: 'sha1', keyLength: 20, icvLength: 12 },
  'hmac-sha256-128': { hash: 'sha256', keyLength: 32, icvLength: 16 },
  'hmac-sha384-192': { hash: 'sha384', keyLength: 48, icvLength: 24 },
  'hmac-sha512-256': { hash: 'sha512', keyLength: 64, icvLength: 32 },
  'hmac-md5-96': { hash: 'md5', keyLength: 16, icvLength: 12 },
};

/** Wire layout facts of a transform. */
export interface TransformLayout {
  /** Explicit IV carried in each packet. */
  readonly ivLength: number;
  /** The cipher's block size: ciphertext must be a multiple of it (1 for GCM's counter mode). */
  readonly cipherBlockSize: number;
  /** Padding alignment of payload+trailer: the cipher block size, at least 4 (RFC 4303 §2.4). */
  readonly alignment: number;
  readonly icvLength: number;
}

export function transformLayout(t: EspTransform): TransformLayout {
  switch (t.cipher) {
    case 'aes-gcm-16': // RFC 4106 §3.1 (8-byte IV), §6 (16-byte ICV)
      return { ivLength: 8, cipherBlockSize: 1, alignment: 4, icvLength: 16 };
    case 'aes-cbc': // RFC 3602 §2.1, §3
      return {
        ivLength: 16,
        cipherBlockSize: 16,
        alignment: 16,
        icvLength: INTEGRITY_INFO[t.integrity].icvLength,
      };
    case '3des-cbc': // RFC 2451 §2.1-2.3
      return {
        ivLength: 8,
        cipherBlockSize: 8,
        alignment: 8,
        icvLength: INTEGRITY_INFO[t.integrity].icvLength,
      };
  }
}

export interface EspKeyLengths {
  readonly encKey: number;
  /** RFC 4106 §8.1: 4 salt bytes follow the AES key in the keying material. */
  readonly salt: number;
  readonly authKey: number;
  /** KEYMAT bytes Quick Mode must derive for one direction (RFC 2409 §5.5). */
  readonly total: number;
}

export function espKeyLengths(t: EspTransform): EspKeyLengths {
  const encKey = t.cipher === '3des-cbc' ? 24 : t.keyBits / 8;
  const salt = t.cipher === 'aes-gcm-16' ? 4 : 0;
  const authKey = t.cipher === 'aes-gcm-16' ? 0 : INTEGRITY_INFO[t.integrity].keyLength;
  return { encKey, salt, authKey, total: encKey + salt + authKey };
}

/** Keys of one SA direction. Never logged: the logger redacts these field names. */
export interface EspKeys {
  readonly encKey: Uint8Array;
  /** AES-GCM only. */
  readonly salt?: Uint8Array;
  /** CBC transforms only. */
  readonly authKey?: Uint8Array;
}

/**
 * Splits Quick Mode KEYMAT: encryption key then authentication key (RFC 2409 §5.5 with RFC 2401's convention),
 * or for AES-GCM the AES key followed by the 4-byte salt (RFC 4106 §8.1). Extra bytes are ignored.
 */
export function splitKeymat(t: EspTransform, keymat: Uint8Array): Result<EspKeys, string> {
  const L = espKeyLengths(t);
  if (keymat.length < L.total)
    return err(`KEYMAT is ${keymat.length} bytes, ${describeTransform(t)} needs ${L.total}`);
  const encKey = keymat.slice(0, L.encKey);
  if (t.cipher === 'aes-gcm-16') return ok({ encKey, salt: keymat.slice(L.encKey, L.encKey + L.salt) });
  return ok({ encKey, authKey: keymat.slice(L.encKey, L.encKey + L.authKey) });
}

/** Checks key lengths against the transform; returns a message (no key bytes) when they do not fit. */
export function checkKeys(t: EspTransform, keys: EspKeys): string | null {
  const L = espKeyLengths(t);
  if (keys.encKey.length !== L.encKey)
    return `encryption key is ${keys.encKey.length} bytes, expected ${L.encKey}`;
  if ((keys.salt?.length ?? 0) !== L.salt)
    return `salt is ${keys.salt?.length ?? 0} bytes, expected ${L.salt}`;
  if ((keys.authKey?.length ?? 0) !== L.authKey)
    return `authentication key is ${keys.authKey?.length ?? 0} bytes, expected ${L.authKey}`;
  return null;
}

/** The Quick Mode view of a transform: transform ID plus SA attributes (RFC 2407 §4.5). */
export interface IkeEspAttributes {
  readonly transformId: number;
  /** Key Length attribute (class 6), bits; required for AES (RFC 3602 §5.3, RFC 4106 §8.4). */
  readonly keyLength?: number;
  /** Authentication Algorithm attribute (class 5). */
  readonly authAlgorithm?: number;
}

export type EspTransformErrorCode =
  | 'unsupported-cipher'
  | 'unsupported-integrity'
  | 'bad-key-length'
  | 'missing-integrity';

export interface EspTransformError {
  readonly code: EspTransformErrorCode;
  readonly message: string;
}

export function espTransformToIke(t: EspTransform): IkeEspAttributes {
  switch (t.cipher) {
    case 'aes-gcm-16':
      return { transformId: ESP_TRANSFORM_ID[t.cipher], keyLength: t.keyBits };
    case 'aes-cbc':
      return {
        transformId: ESP_TRANSFORM_ID[t.cipher],
        keyLength: t.keyBits,
        authAlgorithm: ESP_AUTH_ALGORITHM[t.integrity],
      };
    case '3des-cbc':
      return { transformId: ESP_TRANSFORM_ID[t.cipher], authAlgorithm: ESP_AUTH_ALGORITHM[t.integrity] };
  }
}

const isAesBits = (n: number): n is AesKeyBits => n === 128 || n === 192 || n === 256;

function integrityFromIke(value: number | undefined): Result<EspIntegrity, EspTransformError> {
  if (value === undefined)
    return err({ code: 'missing-integrity', message: 'CBC transform without an authentication algorithm' });
  for (const name of ESP_INTEGRITY_NAMES) if (ESP_AUTH_ALGORITHM[name] === value) return ok(name);
  const known = OTHER_AUTH_ALGORITHMS[value];
  return err({
    code: 'unsupported-integrity',
    message: `authentication algorithm ${value}${known ? ` (${known})` : ''} is not supported`,
  });
}

/**
 * Maps negotiated Quick Mode attributes to a transform. A missing AES Key Length is read as 128 bits, as
 * deployed peers do despite RFC 3602 §5.3; an Authentication Algorithm sent with AES-GCM is ignored.
 */
export function espTransformFromIke(a: IkeEspAttributes): Result<EspTransform, EspTransformError> {
  const badLength = (what: string): Result<never, EspTransformError> =>
    err({ code: 'bad-key-length', message: `${what}: key length ${a.keyLength} bits` });
  switch (a.transformId) {
    case ESP_TRANSFORM_ID['aes-gcm-16']: {
      const keyBits = a.keyLength ?? 128;
      return isAesBits(keyBits) ? ok({ cipher: 'aes-gcm-16', keyBits }) : badLength('ESP_AES_GCM_16');
    }
    case ESP_TRANSFORM_ID['aes-cbc']: {
      const keyBits = a.keyLength ?? 128;
      if (!isAesBits(keyBits)) return badLength('ESP_AES_CBC');
      const integrity = integrityFromIke(a.authAlgorithm);
      return integrity.ok ? ok({ cipher: 'aes-cbc', keyBits, integrity: integrity.value }) : integrity;
    }
    case ESP_TRANSFORM_ID['3des-cbc']: {
      if (a.keyLength !== undefined && a.keyLength !== 192) return badLength('ESP_3DES');
      const integrity = integrityFromIke(a.authAlgorithm);
      return integrity.ok ? ok({ cipher: '3des-cbc', integrity: integrity.value }) : integrity;
    }
    default: {
      const known = OTHER_TRANSFORM_IDS[a.transformId];
      return err({
        code: 'unsupported-cipher',
        message: `ESP transform ${a.transformId}${known ? ` (${known})` : ''} is not supported`,
      });
    }
  }
}

const PROFILE_INTEGRITY: Readonly<Record<EspIntegrityName, EspIntegrity>> = {
  sha1: 'hmac-sha1-96',
  sha256: 'hmac-sha256-128',
  sha384: 'hmac-sha384-192',
  sha512: 'hmac-sha512-256',
  md5: 'hmac-md5-96',
};

/** The transform a profile's phase-2 proposal names (core/profile/algorithms.ts); null if it is incomplete. */
export function espTransformFromProposal(p: Phase2Proposal): EspTransform | null {
  const cipher: EspCipherName = p.cipher;
  switch (cipher) {
    case 'aes128gcm16':
      return { cipher: 'aes-gcm-16', keyBits: 128 };
    case 'aes256gcm16':
      return { cipher: 'aes-gcm-16', keyBits: 256 };
    default: {
      if (p.integrity === undefined) return null;
      const integrity = PROFILE_INTEGRITY[p.integrity];
      if (cipher === '3des') return { cipher: '3des-cbc', integrity };
      const keyBits = Number(cipher.slice(3));
      return isAesBits(keyBits) ? { cipher: 'aes-cbc', keyBits, integrity } : null;
    }
  }
}

/** strongSwan-style name, e.g. `aes256gcm16`, `aes128-sha256`, `3des-sha1`: safe to log. */
export function describeTransform(t: EspTransform): string {
  if (t.cipher === 'aes-gcm-16') return `aes${t.keyBits}gcm16`;
  const cipher = t.cipher === 'aes-cbc' ? `aes${t.keyBits}` : '3des';
  return `${cipher}-${INTEGRITY_INFO[t.integrity].hash}`;
}

/** Every transform Ferry implements (all key sizes), e.g. for tests and benchmarks. */
export function allEspTransforms(): EspTransform[] {
  const out: EspTransform[] = [];
  for (const keyBits of [128, 192, 256] as const) out.push({ cipher: 'aes-gcm-16', keyBits });
  for (const integrity of ESP_INTEGRITY_NAMES) {
    for (const keyBits of [128, 192, 256] as const) out.push({ cipher: 'aes-cbc', keyBits, integrity });
    out.push({ cipher: '3des-cbc', integrity });
  }
  return out;
}
