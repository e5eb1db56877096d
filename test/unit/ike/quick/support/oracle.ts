/** Independent (noble) implementations of the Quick Mode PRF uses, so tests do not check our code against itself. */
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HashAlgorithm } from '../../../../../core/ike/crypto/hash';

const HASHES = { md5, sha1, sha256, sha384, sha512 } as const;

function cat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function nobleHmac(alg: HashAlgorithm, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  return hmac(HASHES[alg], key, cat(...parts));
}

/** RFC 2409 §5.5 KEYMAT, written from the RFC text independently of core/ike/quick/keymat.ts. */
export function oracleKeymat(
  alg: HashAlgorithm,
  skeyidD: Uint8Array,
  spi: number,
  ni: Uint8Array,
  nr: Uint8Array,
  length: number,
  gxy?: Uint8Array | null,
): Uint8Array {
  const tail = cat(gxy ?? new Uint8Array(0), Uint8Array.of(3), u32(spi), ni, nr);
  let out: Uint8Array = new Uint8Array(0);
  let prev: Uint8Array = new Uint8Array(0);
  while (out.length < length) {
    prev = nobleHmac(alg, skeyidD, prev, tail);
    out = cat(out, prev);
  }
  return out.slice(0, length);
}
