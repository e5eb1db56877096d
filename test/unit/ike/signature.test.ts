/**
 * Phase-1 signature primitives (RFC 2409 §5.1, RFC 4754) against independent oracles: the openssl CLI signs and
 * verifies the raw HASH (pkeyutl treats its input as the digest) with PKCS#1 v1.5 padding or ECDSA, and
 * @noble/hashes computes SKEYID. Our RSA signature must equal openssl's byte for byte (PKCS#1 v1.5 is
 * deterministic); our ECDSA signatures must verify in openssl, and openssl's in ours.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthMethod } from '../../../core/ike/constants';
import {
  authPrfHash,
  isSignatureMethod,
  type SignatureMethod,
  signAuthHash,
  signatureMethodFor,
  skeyidSignature,
  verifyAuthHash,
} from '../../../core/ike/crypto/signature';
import { describeKey } from '../../../core/pki/keys';
import { type TestCert, TestPki } from '../../lab/strongswan/testPki';

let pki: TestPki;
const keys: Record<'rsa' | 'ec256' | 'ec384' | 'ec521', TestCert> = {} as never;

beforeAll(() => {
  pki = new TestPki();
  const ca = pki.rootCa('ca', '/CN=sig CA', 'ec256');
  for (const k of ['rsa', 'ec256', 'ec384', 'ec521'] as const)
    keys[k] = pki.issue(k, ca, { subject: `/CN=${k}`, keyType: k });
});
afterAll(() => pki.cleanup());

const privateKey = (c: TestCert) => createPrivateKey(c.keyPem);
const publicKey = (c: TestCert) => createPublicKey(c.keyPem);

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args);
}

const CURVES = { ec256: p256, ec384: p384, ec521: p521 } as const;
const METHODS: Record<'ec256' | 'ec384' | 'ec521', SignatureMethod> = {
  ec256: AuthMethod.ECDSA_SHA256_P256,
  ec384: AuthMethod.ECDSA_SHA384_P384,
  ec521: AuthMethod.ECDSA_SHA512_P521,
};
const HASH_BYTES = { ec256: 32, ec384: 48, ec521: 64 } as const;

describe('key derivation and method mapping', () => {
  it('SKEYID = prf(Ni_b | Nr_b, g^xy) (RFC 2409 §5), checked against @noble/hashes', () => {
    const ni = randomBytes(32);
    const nr = randomBytes(16);
    const gxy = randomBytes(256);
    const key = new Uint8Array([...ni, ...nr]);
    expect(Buffer.from(skeyidSignature('sha256', ni, nr, gxy))).toEqual(Buffer.from(hmac(sha256, key, gxy)));
    expect(Buffer.from(skeyidSignature('sha1', ni, nr, gxy))).toEqual(Buffer.from(hmac(sha1, key, gxy)));
  });

  it('ECDSA methods fix the HASH_I/HASH_R PRF (RFC 4754 §8); RSA keeps the negotiated one', () => {
    expect(authPrfHash(AuthMethod.ECDSA_SHA256_P256, 'sha1')).toBe('sha256');
    expect(authPrfHash(AuthMethod.ECDSA_SHA384_P384, 'sha256')).toBe('sha384');
    expect(authPrfHash(AuthMethod.ECDSA_SHA512_P521, 'sha1')).toBe('sha512');
    expect(authPrfHash(AuthMethod.RSA_SIGNATURES, 'sha384')).toBe('sha384');
    expect(signatureMethodFor(describeKey(publicKey(keys.ec384)))).toBe(AuthMethod.ECDSA_SHA384_P384);
    expect(signatureMethodFor(describeKey(publicKey(keys.rsa)))).toBe(AuthMethod.RSA_SIGNATURES);
    expect([3, 9, 10, 11].every(isSignatureMethod)).toBe(true);
    expect([1, 2, 4, 5, 12].some(isSignatureMethod)).toBe(false);
  });
});

describe('RSA signatures (PKCS#1 v1.5 over the raw HASH, no DigestInfo)', () => {
  it("equal openssl's byte for byte and verify; a flipped bit or another key does not", () => {
    const hash = randomBytes(32);
    const sig = signAuthHash(AuthMethod.RSA_SIGNATURES, privateKey(keys.rsa), hash);
    const input = join(pki.dir, 'hash.bin');
    writeFileSync(input, hash);
    const oracle = openssl([
      'pkeyutl',
      '-sign',
      '-inkey',
      pki.file(keys.rsa, 'key'),
      '-pkeyopt',
      'rsa_padding_mode:pkcs1',
      '-in',
      input,
    ]);
    expect(Buffer.from(sig)).toEqual(oracle);
    expect(verifyAuthHash(AuthMethod.RSA_SIGNATURES, publicKey(keys.rsa), hash, sig)).toBe(true);
    const bad = sig.slice();
    bad[10]! ^= 1;
    expect(verifyAuthHash(AuthMethod.RSA_SIGNATURES, publicKey(keys.rsa), hash, bad)).toBe(false);
    expect(verifyAuthHash(AuthMethod.RSA_SIGNATURES, publicKey(keys.rsa), randomBytes(32), sig)).toBe(false);
    expect(verifyAuthHash(AuthMethod.RSA_SIGNATURES, publicKey(keys.ec256), hash, sig)).toBe(false);
    expect(verifyAuthHash(AuthMethod.RSA_SIGNATURES, publicKey(keys.rsa), hash, new Uint8Array(3))).toBe(
      false,
    );
  });
});

describe('ECDSA signatures (RFC 4754: r | s over the raw HASH)', () => {
  for (const k of ['ec256', 'ec384', 'ec521'] as const) {
    it(`${k}: ours verify in openssl, openssl's verify in ours, tampering fails`, () => {
      const hash = randomBytes(HASH_BYTES[k]);
      const method = METHODS[k];
      const curve = CURVES[k];
      const sig = signAuthHash(method, privateKey(keys[k]), hash);
      expect(sig.length).toBe({ ec256: 64, ec384: 96, ec521: 132 }[k]);
      const input = join(pki.dir, `${k}.hash`);
      const sigFile = join(pki.dir, `${k}.sig`);
      writeFileSync(input, hash);
      writeFileSync(sigFile, curve.Signature.fromBytes(sig, 'compact').toBytes('der'));
      const verified = openssl([
        'pkeyutl',
        '-verify',
        '-inkey',
        pki.file(keys[k], 'key'),
        '-in',
        input,
        '-sigfile',
        sigFile,
      ]);
      expect(verified.toString()).toMatch(/Signature Verified Successfully/);
      openssl(['pkeyutl', '-sign', '-inkey', pki.file(keys[k], 'key'), '-in', input, '-out', sigFile]);
      const theirs = curve.Signature.fromBytes(readFileSync(sigFile), 'der').toBytes('compact');
      expect(verifyAuthHash(method, publicKey(keys[k]), hash, theirs)).toBe(true);
      const bad = theirs.slice();
      bad[5]! ^= 0x40;
      expect(verifyAuthHash(method, publicKey(keys[k]), hash, bad)).toBe(false);
      expect(verifyAuthHash(method, publicKey(keys[k]), hash, theirs.subarray(1))).toBe(false);
      expect(verifyAuthHash(method, publicKey(keys.rsa), hash, theirs)).toBe(false);
    });
  }

  it('a P-256 signature does not pass as ECDSA-384', () => {
    const hash = randomBytes(32);
    const sig = signAuthHash(AuthMethod.ECDSA_SHA256_P256, privateKey(keys.ec256), hash);
    expect(verifyAuthHash(AuthMethod.ECDSA_SHA384_P384, publicKey(keys.ec256), hash, sig)).toBe(false);
  });
});
