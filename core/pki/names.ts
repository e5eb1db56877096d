/**
 * Distinguished names (RFC 5280 §4.1.2.4): decoded from DER (certificates, ID_DER_ASN1_DN payloads) and parsed
 * from the text admins write in profiles ("C=CH, O=Example, CN=vpn.example.com" or "/C=CH/O=Example/CN=…"),
 * compared attribute by attribute after RFC 5280 §7.1-style normalisation (case and inner spaces folded).
 */
import { decoder, fail } from '../common/decode';
import { parseDer, rdnAttributes } from './forge';

export interface DnAttribute {
  /** Attribute type OID, e.g. 2.5.4.3 for CN. */
  readonly oid: string;
  readonly value: string;
}

export type DistinguishedName = readonly DnAttribute[];

/** Short names accepted in text DNs (as OpenSSL and strongSwan print them). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  S: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  TITLE: '2.5.4.12',
  GN: '2.5.4.42',
  G: '2.5.4.42',
  INITIALS: '2.5.4.43',
  DNQ: '2.5.4.46',
  PSEUDONYM: '2.5.4.65',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
  EMAIL: '1.2.840.113549.1.9.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
};

const OID_NAMES = new Map<string, string>(
  ['CN', 'SN', 'serialNumber', 'C', 'L', 'ST', 'street', 'O', 'OU', 'title', 'GN', 'initials', 'dnQualifier']
    .map((n): [string, string] => [SHORT_NAMES[n.toUpperCase()] ?? '', n])
    .concat([
      [SHORT_NAMES.DC!, 'DC'],
      [SHORT_NAMES.UID!, 'UID'],
      [SHORT_NAMES.E!, 'E'],
      [SHORT_NAMES.PSEUDONYM!, 'pseudonym'],
    ]),
);

const OID_TAG = 6;
const ASN1_UTF8 = 12;
const ASN1_BMP = 30;

/** forge keeps string values as one char per byte; UTF8String and BMPString need decoding. */
function decodeValue(value: string, tag: number): string {
  const bytes = Buffer.from(value, 'latin1');
  if (tag === ASN1_UTF8) return bytes.toString('utf8');
  if (tag === ASN1_BMP) {
    if (bytes.length % 2 !== 0) fail('invalid', 'BMPString of odd length');
    return bytes.swap16().toString('utf16le');
  }
  return value;
}

/** A DER-encoded Name (RDNSequence) as a flat list of attributes, in encoded order. Total. */
export const decodeDistinguishedName = decoder((der: Uint8Array): DistinguishedName => {
  let node: ReturnType<typeof parseDer>;
  try {
    node = parseDer(der);
  } catch (e) {
    fail('invalid', `not a DER name: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(node.value)) fail('invalid', 'a name is a SEQUENCE of SETs');
  for (const set of node.value) {
    if (!Array.isArray(set.value)) fail('invalid', 'an RDN is a SET');
    for (const atv of set.value) {
      const [type, value] = Array.isArray(atv.value) ? atv.value : [];
      if (atv.value.length !== 2 || type?.type !== OID_TAG || typeof type.value !== 'string')
        fail('invalid', 'an attribute is a SEQUENCE of an OID and a value');
      if (typeof value?.value !== 'string') fail('invalid', 'an attribute value is a string');
    }
  }
  let attrs: ReturnType<typeof rdnAttributes>;
  try {
    attrs = rdnAttributes(node);
  } catch (e) {
    fail('invalid', `unreadable name: ${e instanceof Error ? e.message : String(e)}`);
  }
  return attrs.map((a) => ({ oid: a.type, value: decodeValue(a.value, a.valueTagClass) }));
});

/** Splits on unescaped separators; `\,` and `\/` escape them. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      continue;
    }
    if (ch === sep) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** Parses a text DN; null when it is not one. Accepts "A=b, C=d" and OpenSSL's "/A=b/C=d". */
export function parseDistinguishedName(text: string): DistinguishedName | null {
  const t = text.trim();
  if (t.length === 0) return null;
  const slash = t.startsWith('/');
  const parts = slash
    ? splitUnescaped(t.slice(1), '/')
    : splitUnescaped(t, ',').flatMap((p) => splitUnescaped(p, ';'));
  const out: DnAttribute[] = [];
  for (const part of parts) {
    // Multi-valued RDNs ("CN=a+OU=b") are flattened like decodeDistinguishedName does.
    for (const atv of splitUnescaped(part, '+')) {
      const eq = atv.indexOf('=');
      if (eq <= 0) return null;
      const key = atv.slice(0, eq).trim();
      const value = atv.slice(eq + 1).trim();
      const oid = /^\d+(\.\d+)+$/.test(key) ? key : SHORT_NAMES[key.toUpperCase()];
      if (!oid || value.length === 0) return null;
      out.push({ oid, value });
    }
  }
  return out;
}

/** RFC 5280 §7.1 (simplified): case-insensitive, surrounding and repeated inner spaces ignored. */
function normalise(v: string): string {
  return v.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function sameSequence(a: DistinguishedName, b: DistinguishedName): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => x.oid === b[i]!.oid && normalise(x.value) === normalise(b[i]!.value))
  );
}

/** Equal as names; a text DN written most-specific-first (LDAP order) also matches. */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  return sameSequence(a, b) || sameSequence(a, [...b].reverse());
}

/** "C=CH, O=Example, CN=vpn.example.com" for logs, errors and the UI. */
export function formatDistinguishedName(dn: DistinguishedName): string {
  return dn
    .map((a) => `${OID_NAMES.get(a.oid) ?? a.oid}=${a.value.replace(/([,+\\/])/g, '\\$1')}`)
    .join(', ');
}
