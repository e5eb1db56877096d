/**
 * Phase-1 signature authentication primitives (RFC 2409 §5.1, RFC 4754 §7-§8):
 *  - SKEYID = prf(Ni_b | Nr_b, g^xy);
 *  - RSA: SIG = the HASH_I/HASH_R value itself, PKCS#1 v1.5 type-1 padded and raw-signed (no DigestInfo),
 *    as RFC 2409 §5.1 and every deployed IKEv1 (strongSwan SIGN_RSA_EMSA_PKCS1_NULL) do;
 *  - ECDSA-256/384/521 (auth methods 9/10/11): HASH_I/HASH_R are computed with HMAC-SHA-256/384/512 whatever the
 *    negotiated hash, signed as an already-hashed value, encoded r | s with fixed-size coordinates.
 * node:crypto does the RSA; node cannot sign a pre-hashed value with ECDSA, so @noble/curves does.
 */
import { constants, type KeyObject, privateEncrypt, publicDecrypt } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { equalBytes } from '../../common/bytes';
import type { EcCurve, KeyDescription } from '../../pki/keys';
import { AuthMethod } from '../constants';
import { type HashAlgorithm, prf } from './hash';

export type SignatureMethod =
  | typeof AuthMethod.RSA_SIGNATURES
  | typeof AuthMethod.ECDSA_SHA256_P256
  | typeof AuthMethod.ECDSA_SHA384_P384
  | typeof AuthMethod.ECDSA_SHA512_P521;

const ECDSA: Readonly<
  Record<EcCurve, { method: SignatureMethod; hash: HashAlgorithm; curve: typeof p256; bytes: number }>
> = {
  'P-256': { method: AuthMethod.ECDSA_SHA256_P256, hash: 'sha256', curve: p256, bytes: 32 },
  'P-384': { method: AuthMethod.ECDSA_SHA384_P384, hash: 'sha384', curve: p384, bytes: 48 },
  'P-521': { method: AuthMethod.ECDSA_SHA512_P521, hash: 'sha512', curve: p521, bytes: 66 },
};

const CURVE_OF_METHOD = new Map<number, EcCurve>(
  (Object.keys(ECDSA) as EcCurve[]).map((c): [number, EcCurve] => [ECDSA[c].method, c]),
);

export function isSignatureMethod(m: number): m is SignatureMethod {
  return m === AuthMethod.RSA_SIGNATURES || CURVE_OF_METHOD.has(m);
}

/** The auth method a key signs with; null for keys IKEv1 has no method for. */
export function signatureMethodFor(key: KeyDescription): SignatureMethod | null {
  if (key.kind === 'rsa') return AuthMethod.RSA_SIGNATURES;
  if (key.kind === 'ec') return ECDSA[key.curve].method;
  return null;
}

export function describeSignatureMethod(m: number): string {
  if (m === AuthMethod.RSA_SIGNATURES) return 'RSA signatures';
  const c = CURVE_OF_METHOD.get(m);
  return c ? `ECDSA ${c}` : `auth method ${m}`;
}

/** SKEYID for signature authentication: prf(Ni_b | Nr_b, g^xy) (RFC 2409 §5). */
export function skeyidSignature(
  alg: HashAlgorithm,
  ni: Uint8Array,
  nr: Uint8Array,
  gxy: Uint8Array,
): Uint8Array {
  const key = new Uint8Array(ni.length + nr.length);
  key.set(ni);
  key.set(nr, ni.length);
  return prf(alg, key, gxy);
}

/** The PRF for HASH_I/HASH_R: fixed by the method for ECDSA (RFC 4754 §8), else the negotiated one. */
export function authPrfHash(method: number, negotiated: HashAlgorithm): HashAlgorithm {
  const c = CURVE_OF_METHOD.get(method);
  return c ? ECDSA[c].hash : negotiated;
}

function ecScalar(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.d) throw new Error('not an EC private key');
  return new Uint8Array(Buffer.from(jwk.d, 'base64url'));
}

function ecPoint(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new Error('not an EC public key');
  return new Uint8Array(
    Buffer.concat([Buffer.of(4), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]),
  );
}

/** Signs HASH_I/HASH_R with our key for `method`. Throws if the key does not fit the method. */
export function signAuthHash(method: SignatureMethod, key: KeyObject, hash: Uint8Array): Uint8Array {
  if (method === AuthMethod.RSA_SIGNATURES) {
    if (key.asymmetricKeyType !== 'rsa') throw new Error('RSA signatures need an RSA key');
    return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, hash));
  }
  const spec = ECDSA[CURVE_OF_METHOD.get(method)!];
  return spec.curve.sign(hash, ecScalar(key), { prehash: false, lowS: false });
}

/** Verifies the peer's SIG over the HASH we computed; false for any mismatch, wrong key type or garbage. */
export function verifyAuthHash(
  method: SignatureMethod,
  publicKey: KeyObject,
  hash: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (method === AuthMethod.RSA_SIGNATURES) {
      if (publicKey.asymmetricKeyType !== 'rsa') return false;
      const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      return equalBytes(new Uint8Array(recovered), hash);
    }
    const curve = CURVE_OF_METHOD.get(method)!;
    const spec = ECDSA[curve];
    if (publicKey.asymmetricKeyType !== 'ec') return false;
    if (signature.length !== spec.bytes * 2) return false;
    return spec.curve.verify(signature, hash, ecPoint(publicKey), { prehash: false, lowS: false });
  } catch {
    return false;
  }
}
