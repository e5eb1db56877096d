/** Hash and HMAC-PRF primitives for IKEv1 (node:crypto). The PRF is HMAC with the negotiated hash (RFC 2409 §4). */
import { createHash, createHmac } from 'node:crypto';

export const HASH_ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

export function digest(alg: HashAlgorithm, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** prf(key, parts...) = HMAC-<alg>(key, concat(parts)). */
export function prf(alg: HashAlgorithm, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac(alg, key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
