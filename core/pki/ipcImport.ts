/**
 * The app's and CLI's certificate import request (core/api/ipc.ts `importCertificate`) through the importer:
 * what to show (CertificateInfo) and, for a client certificate with its key, the bundle for the secret store
 * (kind 'client-key'; the profile keeps only the fingerprint and the CA).
 */
import type { CertificateInfo, IpcArgs } from '../api/ipc';
import type { FerryError } from '../common/errors';
import { err, ok, type Result } from '../common/result';
import { serializeClientCredentials } from './credentials';
import { clientCredentialsOf, importCertificate } from './importer';

export type CertificateImportRequest = IpcArgs<'importCertificate'>[1];

export interface CertificateImportOutcome {
  readonly info: CertificateInfo;
  /** PEM bundle (key + certificate + chain) to store as the profile's 'client-key' secret; null for CAs. */
  readonly clientCredentials: string | null;
  /** E.g. "not yet valid", "not a CA"; the UI computes its own from the dates, these come from parsing. */
  readonly warnings: readonly string[];
  /** "RSA 2048", "ECDSA P-256". */
  readonly keyType: string;
}

/** Never throws; the password is never part of an error. */
export function importCertificateRequest(
  req: CertificateImportRequest,
  now: Date = new Date(),
): Result<CertificateImportOutcome, FerryError> {
  const input = req.format === 'pem' ? req.text : new Uint8Array(Buffer.from(req.dataBase64, 'base64'));
  const role = req.format === 'pkcs12' ? 'client' : req.role;
  const r = importCertificate(input, {
    role,
    now,
    ...(req.format === 'pkcs12' ? { password: req.password } : {}),
  });
  if (!r.ok) return err(r.error);
  const s = r.value.summary;
  const creds = role === 'client' ? clientCredentialsOf(r.value) : null;
  return ok({
    info: {
      subject: s.subject,
      issuer: s.issuer,
      notBefore: s.notBefore,
      notAfter: s.notAfter,
      fingerprintSha256: s.fingerprintSha256,
      hasPrivateKey: r.value.privateKey !== null,
      isCa: s.isCa,
    },
    clientCredentials: creds ? serializeClientCredentials(creds) : null,
    warnings: r.value.warnings,
    keyType: s.key.label,
  });
}
