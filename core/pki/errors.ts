/** Certificate and key import failures as FerryErrors with stable codes and human hints (never the password). */
import { FerryError } from '../common/errors';

export type PkiErrorCode =
  /** PKCS#12 MAC or decryption failed under the given password. */
  | 'bad-password'
  /** A PKCS#12 file (or an encrypted key) was given without a password. */
  | 'password-required'
  /** Nothing in the input is an X.509 certificate. */
  | 'not-a-certificate'
  /** Neither PEM, DER certificate/key nor PKCS#12. */
  | 'unsupported-format'
  /** A client certificate without its private key. */
  | 'no-private-key'
  /** The private key does not belong to the certificate. */
  | 'key-mismatch'
  /** A key Ferry cannot use for IKE (DSA, Ed25519, RSA < 2048 bits, unknown curve). */
  | 'unsupported-algorithm'
  | 'expired'
  | 'not-yet-valid'
  /** Several certificates with keys, none clearly the client's. */
  | 'ambiguous'
  | 'too-large';

const HINTS: Readonly<Record<PkiErrorCode, string>> = {
  'bad-password': 'enter the password that protects the .p12/.pfx file (ask your IT department)',
  'password-required': 'this file is password-protected — enter its password',
  'not-a-certificate': 'choose the .pem, .crt, .der or .p12 file your IT department gave you',
  'unsupported-format': 'use a PKCS#12 (.p12/.pfx) file, or PEM/DER certificates and PKCS#8/PKCS#1/SEC1 keys',
  'no-private-key': 'import a PKCS#12 file, or a PEM file that holds both the certificate and its key',
  'key-mismatch':
    'the key belongs to another certificate — export the certificate and key together as PKCS#12',
  'unsupported-algorithm': 'IKE needs an RSA (2048 bits or more) or ECDSA (P-256, P-384, P-521) certificate',
  expired: 'the certificate has expired — ask your IT department for a new one',
  'not-yet-valid': "the certificate is not valid yet — check the computer's date and time",
  ambiguous: 'the file holds several certificates with keys — export only your own certificate',
  'too-large': 'certificate files are at most 1 MiB',
};

export function pkiError(code: PkiErrorCode, message: string, cause?: unknown): FerryError {
  return new FerryError({
    phase: 'secrets',
    code,
    message,
    hint: HINTS[code],
    ...(cause === undefined ? {} : { cause }),
  });
}
