/** PEM text (RFC 7468): labelled base64 blocks. Finding and writing them needs no ASN.1. */

export interface PemBlock {
  /** E.g. 'CERTIFICATE', 'PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'. */
  readonly label: string;
  /** The whole block as text (what node:crypto's createPrivateKey takes, headers included). */
  readonly text: string;
  /** The decoded body; headers such as Proc-Type are skipped. */
  readonly der: Uint8Array;
  /** Legacy OpenSSL encryption ("Proc-Type: 4,ENCRYPTED") or PKCS#8 EncryptedPrivateKeyInfo. */
  readonly encrypted: boolean;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every well-formed block, in order; malformed ones are skipped. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    const lines = m[2]!.split(/\r?\n/).map((l) => l.trim());
    const headers = lines.filter((l) => l.includes(':'));
    const body = lines.filter((l) => l !== '' && !l.includes(':'));
    if (body.length === 0 || !body.every((l) => BASE64_LINE.test(l))) continue;
    const der = new Uint8Array(Buffer.from(body.join(''), 'base64'));
    if (der.length === 0) continue;
    const encrypted =
      label === 'ENCRYPTED PRIVATE KEY' || headers.some((h) => /^Proc-Type:\s*4,\s*ENCRYPTED/i.test(h));
    out.push({ label, text: `${m[0]}\n`, der, encrypted });
  }
  return out;
}

/** True when the bytes look like PEM text (a BEGIN line within the first 4 KiB). */
export function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 4096)).toString('latin1').includes('-----BEGIN ');
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${(b64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
}

export const CERTIFICATE_LABELS: ReadonlySet<string> = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);
export const KEY_LABELS: ReadonlySet<string> = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
]);
