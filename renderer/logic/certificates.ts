/** Certificate files in the editor: format detection, DER→PEM, fingerprints and validity for display. */
import type { CertificateInfo } from '../../core/api/ipc';

export type CertificateFormat = 'pkcs12' | 'pem' | 'der';

export const MAX_CERTIFICATE_BYTES = 1024 * 1024;

const PEM_MARK = '-----BEGIN ';

/** Guesses the format from the file name and its first bytes. */
export function detectFormat(fileName: string, head: Uint8Array): CertificateFormat {
  const name = fileName.toLowerCase();
  if (name.endsWith('.p12') || name.endsWith('.pfx')) return 'pkcs12';
  const text = new TextDecoder('latin1').decode(head.subarray(0, 4096));
  if (text.includes(PEM_MARK)) return 'pem';
  return 'der';
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** A DER certificate as PEM (the profile stores the CA as PEM). */
export function derToPem(der: Uint8Array): string {
  const b64 = bytesToBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The first PEM certificate block of a text (a bundle may also hold keys or a chain). */
export function firstPemCertificate(text: string): string | null {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  return m ? `${m[0]}\n` : null;
}

/** "ab:CD:01…" or "abcd01…" → "abcd01…" (what the profile's clientCertificate field holds). */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
}

/** "abcd01…" → "AB:CD:01:…" for display. */
export function displayFingerprint(fp: string): string {
  return (
    normalizeFingerprint(fp)
      .toUpperCase()
      .match(/.{1,2}/g) ?? []
  ).join(':');
}

export type Validity =
  | { readonly kind: 'valid'; readonly daysLeft: number }
  | { readonly kind: 'expired' }
  | { readonly kind: 'not-yet-valid' }
  | { readonly kind: 'unknown' };

export function validity(info: Pick<CertificateInfo, 'notBefore' | 'notAfter'>, now: number): Validity {
  const from = Date.parse(info.notBefore);
  const to = Date.parse(info.notAfter);
  if (Number.isNaN(from) || Number.isNaN(to)) return { kind: 'unknown' };
  if (now < from) return { kind: 'not-yet-valid' };
  if (now > to) return { kind: 'expired' };
  return { kind: 'valid', daysLeft: Math.floor((to - now) / 86_400_000) };
}

/** Warnings about an imported certificate for the role it was imported as. */
export function certificateWarnings(info: CertificateInfo, role: 'client' | 'ca', now: number): string[] {
  const w: string[] = [];
  const v = validity(info, now);
  if (v.kind === 'expired') w.push('This certificate has expired; the server will reject it.');
  if (v.kind === 'not-yet-valid') w.push('This certificate is not valid yet; check the computer’s clock.');
  if (v.kind === 'valid' && v.daysLeft < 30) w.push(`This certificate expires in ${v.daysLeft} days.`);
  if (role === 'client' && !info.hasPrivateKey)
    w.push('No private key was found: import a PKCS#12 file or a PEM file that includes the key.');
  if (role === 'ca' && !info.isCa)
    w.push('This is not a CA certificate; choose the certificate of the issuing CA.');
  return w;
}
