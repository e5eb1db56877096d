/** Private and public keys through node:crypto: loading, describing, and whether IKE can use them. */
import { createPrivateKey, type KeyObject } from 'node:crypto';

export type KeyDescription =
  | { readonly kind: 'rsa'; readonly bits: number; readonly label: string }
  | { readonly kind: 'ec'; readonly curve: EcCurve; readonly label: string }
  | { readonly kind: 'unsupported'; readonly label: string };

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

const CURVES: Readonly<Record<string, EcCurve>> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};

/** RSA below this is refused (NIST SP 800-131A; strongSwan and Windows still accept 1024, we do not). */
export const MIN_RSA_BITS = 2048;

export function describeKey(key: KeyObject): KeyDescription {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && typeof d.modulusLength === 'number')
    return { kind: 'rsa', bits: d.modulusLength, label: `RSA ${d.modulusLength}` };
  if (key.asymmetricKeyType === 'ec') {
    const curve = d.namedCurve === undefined ? undefined : CURVES[d.namedCurve];
    if (curve) return { kind: 'ec', curve, label: `ECDSA ${curve}` };
    return { kind: 'unsupported', label: `EC ${d.namedCurve ?? 'unknown curve'}` };
  }
  return { kind: 'unsupported', label: (key.asymmetricKeyType ?? 'unknown').toUpperCase() };
}

/** Why IKE cannot sign with this key, or null (RFC 2409 §5.1 RSA, RFC 4754 ECDSA on the NIST curves). */
export function ikeKeyProblem(d: KeyDescription): string | null {
  if (d.kind === 'unsupported') return `${d.label} keys cannot be used for IKE signatures`;
  if (d.kind === 'rsa' && d.bits < MIN_RSA_BITS)
    return `RSA keys need at least ${MIN_RSA_BITS} bits, this one has ${d.bits}`;
  return null;
}

export type KeyLoad =
  | { readonly ok: true; readonly key: KeyObject }
  | { readonly ok: false; readonly reason: 'bad-password' | 'password-required' | 'invalid' };

/** A private key from PEM text (PKCS#8, PKCS#1, SEC1, encrypted or not) or DER (PKCS#8, PKCS#1, SEC1). */
export function loadPrivateKey(input: string | Uint8Array, passphrase?: string): KeyLoad {
  const attempts: Parameters<typeof createPrivateKey>[0][] =
    typeof input === 'string'
      ? [{ key: input, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) }]
      : (['pkcs8', 'pkcs1', 'sec1'] as const).map((type) => ({
          key: Buffer.from(input),
          format: 'der' as const,
          type,
          ...(passphrase === undefined ? {} : { passphrase }),
        }));
  let sawPassword = false;
  for (const a of attempts) {
    try {
      return { ok: true, key: createPrivateKey(a) };
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (/PASSPHRASE|BAD_DECRYPT/i.test(code) || /passphrase|bad decrypt/i.test(String(e)))
        sawPassword = true;
    }
  }
  if (sawPassword)
    return { ok: false, reason: passphrase === undefined ? 'password-required' : 'bad-password' };
  return { ok: false, reason: 'invalid' };
}
