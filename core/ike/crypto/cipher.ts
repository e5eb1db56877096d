/** Phase-1 CBC ciphers (RFC 2409 App. B, RFC 3602) without padding: ISAKMP pads itself. */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const CIPHER_ALGORITHMS = ['aes128', 'aes192', 'aes256', '3des'] as const;
export type CipherAlgorithm = (typeof CIPHER_ALGORITHMS)[number];

export interface CipherInfo {
  readonly keyLength: number;
  readonly blockSize: number;
  readonly nodeName: string;
}

export const CIPHERS: Readonly<Record<CipherAlgorithm, CipherInfo>> = {
  aes128: { keyLength: 16, blockSize: 16, nodeName: 'aes-128-cbc' },
  aes192: { keyLength: 24, blockSize: 16, nodeName: 'aes-192-cbc' },
  aes256: { keyLength: 32, blockSize: 16, nodeName: 'aes-256-cbc' },
  '3des': { keyLength: 24, blockSize: 8, nodeName: 'des-ede3-cbc' },
};

function check(alg: CipherAlgorithm, key: Uint8Array, iv: Uint8Array, data: Uint8Array): CipherInfo {
  const c = CIPHERS[alg];
  if (key.length !== c.keyLength) throw new RangeError(`${alg}: key must be ${c.keyLength} bytes`);
  if (iv.length !== c.blockSize) throw new RangeError(`${alg}: IV must be ${c.blockSize} bytes`);
  if (data.length % c.blockSize !== 0) throw new RangeError(`${alg}: data not a multiple of ${c.blockSize}`);
  return c;
}

export function cbcEncrypt(
  alg: CipherAlgorithm,
  key: Uint8Array,
  iv: Uint8Array,
  plain: Uint8Array,
): Uint8Array {
  const c = check(alg, key, iv, plain);
  const e = createCipheriv(c.nodeName, key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([e.update(plain), e.final()]));
}

export function cbcDecrypt(
  alg: CipherAlgorithm,
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const c = check(alg, key, iv, data);
  const d = createDecipheriv(c.nodeName, key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
}
