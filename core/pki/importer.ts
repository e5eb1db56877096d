/**
 * Certificate import for the CLI and the app (SPEC §4): PKCS#12 with a password, PEM or DER certificates and
 * keys, the format told from the content. Returns the certificate a role needs (our client certificate with
 * its key, or a CA), the rest of the chain, and what to show; failures are typed (core/pki/errors.ts).
 */
import type { KeyObject } from 'node:crypto';
import type { FerryError } from '../common/errors';
import { err, ok, type Result } from '../common/result';
import { Certificate, type CertificateSummary } from './certificate';
import type { ClientCredentials } from './credentials';
import { pkiError } from './errors';
import { ikeKeyProblem, loadPrivateKey } from './keys';
import { CERTIFICATE_LABELS, KEY_LABELS, looksLikePem, pemBlocks } from './pem';
import { looksLikePkcs12, readPkcs12 } from './pkcs12';

export const MAX_IMPORT_BYTES = 1024 * 1024;

export type ImportFormat = 'pkcs12' | 'pem' | 'der';
export type ImportRole = 'client' | 'ca';

export interface ImportOptions {
  readonly role: ImportRole;
  /** PKCS#12 password, or the passphrase of an encrypted PEM key. */
  readonly password?: string;
  /** Default: now. */
  readonly now?: Date;
  /** Accept an expired certificate (inspection only). */
  readonly allowExpired?: boolean;
}

export interface ImportedCertificate {
  readonly format: ImportFormat;
  /** The client certificate (role client) or the CA certificate (role ca). */
  readonly certificate: Certificate;
  /** The other certificates in the file (intermediates, CAs), in file order. */
  readonly others: readonly Certificate[];
  /** The client certificate's private key; null when the file has none or for role ca. */
  readonly privateKey: KeyObject | null;
  readonly summary: CertificateSummary;
  readonly warnings: readonly string[];
}

interface Parsed {
  readonly format: ImportFormat;
  readonly certificates: Certificate[];
  readonly keys: KeyObject[];
}

function fromPem(text: string, password: string | undefined): Result<Parsed, FerryError> {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return err(pkiError('not-a-certificate', 'the text holds no PEM block'));
  const certificates: Certificate[] = [];
  const keys: KeyObject[] = [];
  for (const b of blocks) {
    if (CERTIFICATE_LABELS.has(b.label)) {
      const c = Certificate.fromDer(b.der);
      if (!c.ok)
        return err(pkiError('not-a-certificate', `a CERTIFICATE block is unreadable: ${c.error.message}`));
      certificates.push(c.value);
    } else if (KEY_LABELS.has(b.label)) {
      if (b.encrypted && password === undefined)
        return err(pkiError('password-required', `the ${b.label} block is encrypted`));
      const k = loadPrivateKey(b.text, b.encrypted ? password : undefined);
      if (!k.ok)
        return err(
          k.reason === 'invalid'
            ? pkiError('unsupported-format', `the ${b.label} block cannot be read`)
            : pkiError(
                k.reason,
                k.reason === 'bad-password' ? 'the key passphrase is wrong' : 'the key is encrypted',
              ),
        );
      keys.push(k.key);
    }
  }
  if (certificates.length === 0 && keys.length === 0)
    return err(
      pkiError('unsupported-format', `unsupported PEM blocks: ${blocks.map((b) => b.label).join(', ')}`),
    );
  return ok({ format: 'pem', certificates, keys });
}

function fromBinary(der: Uint8Array, password: string | undefined): Result<Parsed, FerryError> {
  if (looksLikePkcs12(der)) {
    if (password === undefined)
      return err(pkiError('password-required', 'a PKCS#12 file needs its password'));
    const p = readPkcs12(der, password);
    if (!p.ok) {
      const f = p.error;
      if (f.reason === 'bad-password') return err(pkiError('bad-password', 'the PKCS#12 password is wrong'));
      if (f.reason === 'unsupported')
        return err(
          pkiError('unsupported-algorithm', `the PKCS#12 file uses an unsupported algorithm (${f.detail})`),
        );
      return err(pkiError('unsupported-format', `not a readable PKCS#12 file (${f.detail})`));
    }
    const certificates: Certificate[] = [];
    for (const c of p.value.certificates) {
      const parsed = Certificate.fromDer(c.der);
      if (!parsed.ok)
        return err(pkiError('not-a-certificate', `a certificate bag is unreadable: ${parsed.error.message}`));
      certificates.push(parsed.value);
    }
    return ok({ format: 'pkcs12', certificates, keys: p.value.keys.map((k) => k.key) });
  }
  const cert = Certificate.fromDer(der);
  if (cert.ok) return ok({ format: 'der', certificates: [cert.value], keys: [] });
  const key = loadPrivateKey(der);
  if (key.ok) return ok({ format: 'der', certificates: [], keys: [key.key] });
  return err(
    pkiError('unsupported-format', 'the file is neither PEM, a DER certificate or key, nor PKCS#12'),
  );
}

/** Our certificate: the one whose public key matches a private key in the file. */
function pickClient(p: Parsed): Result<{ cert: Certificate; key: KeyObject | null }, FerryError> {
  if (p.certificates.length === 0)
    return err(pkiError('not-a-certificate', 'the file holds a key but no certificate'));
  if (p.keys.length === 0) {
    // A lone certificate, or a chain: ours is the one no other certificate in the file was issued by.
    const leaf =
      p.certificates.find((c) => !p.certificates.some((o) => o !== c && o.issuedBy(c))) ?? p.certificates[0]!;
    return ok({ cert: leaf, key: null });
  }
  const pairs = p.keys.flatMap((key) =>
    p.certificates.filter((c) => c.x509.checkPrivateKey(key)).map((cert) => ({ cert, key })),
  );
  if (pairs.length === 0)
    return err(pkiError('key-mismatch', 'the private key does not belong to any certificate in the file'));
  if (new Set(pairs.map((x) => x.cert)).size > 1)
    return err(pkiError('ambiguous', `${pairs.length} certificates in the file have their private key`));
  return ok(pairs[0]!);
}

/** Imports certificate material for `role`. Never throws. */
export function importCertificate(
  input: Uint8Array | string,
  opts: ImportOptions,
): Result<ImportedCertificate, FerryError> {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_IMPORT_BYTES) return err(pkiError('too-large', `the file has ${size} bytes`));
  if (size === 0) return err(pkiError('not-a-certificate', 'the file is empty'));
  let parsed: Result<Parsed, FerryError>;
  try {
    parsed =
      typeof input === 'string' || looksLikePem(input)
        ? fromPem(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'), opts.password)
        : fromBinary(input, opts.password);
  } catch (e) {
    return err(
      pkiError('unsupported-format', `unreadable file: ${e instanceof Error ? e.message : String(e)}`, e),
    );
  }
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  let cert: Certificate;
  let key: KeyObject | null = null;
  if (opts.role === 'client') {
    const picked = pickClient(p);
    if (!picked.ok) return picked;
    cert = picked.value.cert;
    key = picked.value.key;
    const problem = ikeKeyProblem(cert.key);
    if (problem) return err(pkiError('unsupported-algorithm', problem));
  } else {
    const first = p.certificates[0];
    if (!first) return err(pkiError('not-a-certificate', 'the file holds no certificate'));
    cert = first;
  }
  const warnings: string[] = [];
  const validity = cert.validAt(opts.now ?? new Date());
  if (validity === 'expired' && !opts.allowExpired)
    return err(pkiError('expired', `${cert} expired on ${cert.notAfter.toISOString()}`));
  if (validity === 'expired') warnings.push(`The certificate expired on ${cert.notAfter.toISOString()}.`);
  if (validity === 'not-yet-valid')
    warnings.push(`The certificate is valid only from ${cert.notBefore.toISOString()}.`);
  if (opts.role === 'ca' && !cert.isCa)
    warnings.push('This is not a CA certificate (basic constraints do not say CA).');
  if (opts.role === 'client' && key === null) warnings.push('No private key was found in the file.');
  return ok({
    format: p.format,
    certificate: cert,
    others: p.certificates.filter((c) => c !== cert),
    privateKey: key,
    summary: cert.summary(),
    warnings,
  });
}

/** The credentials to store for an imported client certificate with its key. */
export function clientCredentialsOf(i: ImportedCertificate): ClientCredentials | null {
  if (!i.privateKey) return null;
  // Intermediates only: a self-signed root is the server's business (RFC 4945 §3.3 omits the trust anchor).
  return {
    certificate: i.certificate,
    chain: i.others.filter((c) => !c.selfIssued),
    privateKey: i.privateKey,
  };
}
