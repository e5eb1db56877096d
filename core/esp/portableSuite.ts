/**
 * Portable ESP suites on @noble/ciphers and @noble/hashes: used where node:crypto lacks an algorithm and as the
 * independent oracle in tests. Same wire format as nodeSuite.ts; roughly ten times slower.
 */
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../common/bytes';
import type { EspSuite } from './suite';
import {
  type EspKeys,
  type EspTransform,
  INTEGRITY_INFO,
  type IntegrityInfo,
  transformLayout,
} from './transforms';

const HEADER = 8;

const HASHES = { sha1, sha256, sha384, sha512, md5 } as const satisfies Record<
  IntegrityInfo['hash'],
  unknown
>;

/** Throws for 3DES, which @noble does not implement (see portableSupports in suite.ts). */
export function createPortableSuite(t: EspTransform, keys: EspKeys): EspSuite {
  if (t.cipher === '3des-cbc') throw new Error('the portable ESP suite has no 3DES');
  return t.cipher === 'aes-gcm-16' ? new PortableGcmSuite(keys) : new PortableAesCbcHmacSuite(t, keys);
}

/** RFC 4106 §4-§6, as in nodeSuite.ts. */
class PortableGcmSuite implements EspSuite {
  readonly provider = 'portable';
  readonly ivLength = 8;
  readonly cipherBlockSize = 1;
  readonly alignment = 4;
  readonly icvLength = 16;
  private readonly key: Uint8Array;
  private readonly salt: Uint8Array;

  constructor(keys: EspKeys) {
    this.key = keys.encKey.slice();
    this.salt = keys.salt!.slice();
  }

  private nonce(packet: Uint8Array): Uint8Array {
    const n = new Uint8Array(12);
    n.set(this.salt, 0);
    n.set(packet.subarray(HEADER, HEADER + 8), 4);
    return n;
  }

  seal(packet: Uint8Array, plaintext: Uint8Array): void {
    const sealed = gcm(this.key, this.nonce(packet), packet.slice(0, HEADER)).encrypt(plaintext);
    packet.set(sealed, HEADER + 8);
  }

  open(packet: Uint8Array): Uint8Array | null {
    try {
      return gcm(this.key, this.nonce(packet), packet.slice(0, HEADER)).decrypt(packet.subarray(HEADER + 8));
    } catch {
      return null;
    }
  }
}

/** AES-CBC (RFC 3602) with truncated HMAC; the HMAC key schedule (ipad/opad states) is prepared once. */
class PortableAesCbcHmacSuite implements EspSuite {
  readonly provider = 'portable';
  readonly ivLength: number;
  readonly cipherBlockSize: number;
  readonly alignment: number;
  readonly icvLength: number;
  private readonly key: Uint8Array;
  private readonly mac: ReturnType<typeof hmac.create>;

  constructor(t: Extract<EspTransform, { cipher: 'aes-cbc' }>, keys: EspKeys) {
    const layout = transformLayout(t);
    this.ivLength = layout.ivLength;
    this.cipherBlockSize = layout.cipherBlockSize;
    this.alignment = layout.alignment;
    this.icvLength = layout.icvLength;
    this.key = keys.encKey.slice();
    this.mac = hmac.create(HASHES[INTEGRITY_INFO[t.integrity].hash], keys.authKey!);
  }

  private icv(data: Uint8Array): Uint8Array {
    return this.mac.clone().update(data).digest().subarray(0, this.icvLength);
  }

  seal(packet: Uint8Array, plaintext: Uint8Array): void {
    const ctStart = HEADER + this.ivLength;
    const iv = packet.slice(HEADER, ctStart);
    packet.set(cbc(this.key, iv, { disablePadding: true }).encrypt(plaintext), ctStart);
    const icvStart = ctStart + plaintext.length;
    packet.set(this.icv(packet.subarray(0, icvStart)), icvStart);
  }

  open(packet: Uint8Array): Uint8Array | null {
    const ctStart = HEADER + this.ivLength;
    const icvStart = packet.length - this.icvLength;
    if (!equalBytes(this.icv(packet.subarray(0, icvStart)), packet.subarray(icvStart))) return null;
    const iv = packet.slice(HEADER, ctStart);
    return cbc(this.key, iv, { disablePadding: true }).decrypt(packet.subarray(ctStart, icvStart));
  }
}
