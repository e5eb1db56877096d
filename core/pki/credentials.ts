/**
 * Our machine credentials for IKE signature authentication: the client certificate, the intermediates to send
 * with it, and its private key. Kept in the secret store as one PEM bundle (SPEC §3: never in profile files).
 */
import type { KeyObject } from 'node:crypto';
import type { FerryError } from '../common/errors';
import { err, ok, type Result } from '../common/result';
import { Certificate } from './certificate';
import { pkiError } from './errors';
import { describeKey, ikeKeyProblem, loadPrivateKey } from './keys';
import { CERTIFICATE_LABELS, KEY_LABELS, pemBlocks, toPem } from './pem';

export interface ClientCredentials {
  readonly certificate: Certificate;
  /** Intermediate CA certificates sent after ours (RFC 4945 §3.3: end entity first). */
  readonly chain: readonly Certificate[];
  readonly privateKey: KeyObject;
}

/** The secret-store value: the private key (PKCS#8), then our certificate, then the chain. */
export function serializeClientCredentials(c: ClientCredentials): string {
  const key = c.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return [
    key,
    toPem('CERTIFICATE', c.certificate.der),
    ...c.chain.map((x) => toPem('CERTIFICATE', x.der)),
  ].join('');
}

/**
 * Reads a bundle written by serializeClientCredentials (or any PEM with one key and its certificate).
 * `expectedFingerprint` (the profile's `clientCertificate`) must name the certificate when given.
 */
export function parseClientCredentials(
  text: string,
  expectedFingerprint?: string,
): Result<ClientCredentials, FerryError> {
  const blocks = pemBlocks(text);
  const keyBlock = blocks.find((b) => KEY_LABELS.has(b.label));
  if (!keyBlock) return err(pkiError('no-private-key', 'the stored client credentials hold no private key'));
  const key = loadPrivateKey(keyBlock.text);
  if (!key.ok) return err(pkiError('unsupported-format', 'the stored client private key cannot be read'));
  const certs: Certificate[] = [];
  for (const b of blocks) {
    if (!CERTIFICATE_LABELS.has(b.label)) continue;
    const c = Certificate.fromDer(b.der);
    if (!c.ok)
      return err(pkiError('not-a-certificate', `a stored certificate is unreadable: ${c.error.message}`));
    certs.push(c.value);
  }
  const index = certs.findIndex((c) => c.x509.checkPrivateKey(key.key));
  if (index < 0)
    return err(
      pkiError(
        certs.length ? 'key-mismatch' : 'not-a-certificate',
        'no stored certificate matches the stored key',
      ),
    );
  const certificate = certs[index]!;
  if (
    expectedFingerprint !== undefined &&
    certificate.fingerprintSha256 !== expectedFingerprint.toLowerCase()
  )
    return err(
      pkiError(
        'key-mismatch',
        `the stored client certificate (${certificate.fingerprintSha256.slice(0, 16)}…) is not the one the profile names`,
      ),
    );
  const problem = ikeKeyProblem(describeKey(key.key));
  if (problem) return err(pkiError('unsupported-algorithm', problem));
  return ok({ certificate, chain: certs.filter((_, i) => i !== index), privateKey: key.key });
}

/** Every certificate in a PEM text (the profile's `caCertificatePem` may hold a bundle). */
export function parseCertificates(pem: string): Result<Certificate[], FerryError> {
  const out: Certificate[] = [];
  for (const b of pemBlocks(pem)) {
    if (!CERTIFICATE_LABELS.has(b.label)) continue;
    const c = Certificate.fromDer(b.der);
    if (!c.ok) return err(pkiError('not-a-certificate', `unreadable certificate: ${c.error.message}`));
    out.push(c.value);
  }
  return out.length ? ok(out) : err(pkiError('not-a-certificate', 'no PEM certificate found'));
}
