/**
 * X.509 details (names, key usage, basic constraints, subjectAltName), chain validation (RFC 5280 §6.1 as
 * RFC 4945 profiles it) and identity checks, against certificates the openssl CLI makes in the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Certificate } from '../../../core/pki/certificate';
import { validateChain } from '../../../core/pki/chain';
import { certificateHasIdentity } from '../../../core/pki/identity';
import {
  decodeDistinguishedName,
  formatDistinguishedName,
  namesEqual,
  parseDistinguishedName,
} from '../../../core/pki/names';
import { type TestCert, TestPki } from '../../lab/strongswan/testPki';

let pki: TestPki;
const c: Record<string, TestCert> = {};
const cert = (name: string): Certificate => {
  const r = Certificate.fromDer(c[name]!.der);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const now = () => new Date();

beforeAll(() => {
  pki = new TestPki();
  c.root = pki.rootCa('root', '/C=CH/O=Ferry Test/CN=Root', 'ec256');
  c.other = pki.rootCa('other', '/C=CH/O=Someone Else/CN=Root', 'ec256');
  c.strictRoot = pki.rootCa('strict', '/CN=Strict Root', 'ec256', 3650, {
    basicConstraints: 'critical,CA:TRUE,pathlen:0',
  });
  c.int = pki.issue('int', c.root!, { subject: '/C=CH/O=Ferry Test/CN=Intermediate', ca: true });
  c.leaf = pki.issue('leaf', c.int!, {
    subject: '/C=CH/O=Ferry Test/CN=vpn.ferry.test',
    san: ['DNS:vpn.ferry.test', 'DNS:VPN2.ferry.test', 'IP:10.202.0.2', 'email:ops@ferry.test'],
  });
  c.direct = pki.issue('direct', c.root!, {
    subject: '/CN=direct.ferry.test',
    san: ['DNS:direct.ferry.test'],
  });
  c.expiredInt = pki.issue('expiredInt', c.root!, {
    subject: '/CN=Old Intermediate',
    ca: true,
    notBefore: new Date('2020-01-01'),
    notAfter: new Date('2021-01-01'),
  });
  c.underExpired = pki.issue('underExpired', c.expiredInt!, { subject: '/CN=under.ferry.test' });
  c.notCa = pki.issue('not-ca', c.root!, {
    subject: '/CN=Not A CA',
    keyUsage: 'critical,digitalSignature,keyCertSign',
  });
  c.underNotCa = pki.issue('underNotCa', c.notCa!, { subject: '/CN=under-not-ca' });
  c.noSign = pki.issue('no-sign', c.root!, {
    subject: '/CN=Cannot Sign CA',
    ca: true,
    keyUsage: 'critical,cRLSign',
  });
  c.underNoSign = pki.issue('underNoSign', c.noSign!, { subject: '/CN=under-no-sign' });
  c.strictInt = pki.issue('strictInt', c.strictRoot!, { subject: '/CN=Strict Intermediate', ca: true });
  c.strictLeaf = pki.issue('strictLeaf', c.strictInt!, { subject: '/CN=strict-leaf' });
  c.encipherOnly = pki.issue('encipher', c.root!, {
    subject: '/CN=encipher',
    keyUsage: 'critical,keyEncipherment',
  });
  c.future = pki.issue('future', c.root!, {
    subject: '/CN=future',
    notBefore: new Date(Date.now() + 86_400_000 * 10),
    notAfter: new Date(Date.now() + 86_400_000 * 20),
  });
});
afterAll(() => pki.cleanup());

describe('distinguished names', () => {
  it('decodes a certificate subject and matches it in either text form and either order', () => {
    const leaf = cert('leaf');
    expect(formatDistinguishedName(leaf.subject)).toBe('C=CH, O=Ferry Test, CN=vpn.ferry.test');
    const comma = parseDistinguishedName('C=CH, O=Ferry Test, CN=vpn.ferry.test')!;
    const slash = parseDistinguishedName('/C=CH/O=Ferry Test/CN=vpn.ferry.test')!;
    const ldap = parseDistinguishedName('cn=VPN.ferry.test;  o = Ferry   Test ; c=ch')!;
    for (const dn of [comma, slash, ldap]) expect(namesEqual(leaf.subject, dn)).toBe(true);
    expect(namesEqual(leaf.subject, parseDistinguishedName('C=CH, O=Ferry Test, CN=other')!)).toBe(false);
    const decoded = decodeDistinguishedName(leaf.subjectDer);
    expect(decoded.ok && decoded.value).toEqual(leaf.subject);
  });

  it('parses escapes, OIDs and multi-valued RDNs; refuses what is not a DN', () => {
    expect(parseDistinguishedName('CN=a\\, b, 2.5.4.10=Org, OU=x+OU=y')).toEqual([
      { oid: '2.5.4.3', value: 'a, b' },
      { oid: '2.5.4.10', value: 'Org' },
      { oid: '2.5.4.11', value: 'x' },
      { oid: '2.5.4.11', value: 'y' },
    ]);
    for (const bad of ['', 'vpn.example.com', 'XX=1', 'CN=', '=x'])
      expect(parseDistinguishedName(bad)).toBeNull();
  });
});

describe('certificate details', () => {
  it('reads key usage, basic constraints and subjectAltName like openssl wrote them', () => {
    const leaf = cert('leaf');
    expect(leaf.keyUsage).toEqual({ digitalSignature: true, nonRepudiation: false, keyCertSign: false });
    expect(leaf.basicConstraints).toEqual({ ca: false, pathLength: null });
    expect(leaf.subjectAltNames).toEqual([
      { type: 'dns', value: 'vpn.ferry.test' },
      { type: 'dns', value: 'VPN2.ferry.test' },
      { type: 'ip', value: '10.202.0.2' },
      { type: 'email', value: 'ops@ferry.test' },
    ]);
    expect(cert('strictRoot').basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(leaf.fingerprintSha256).toBe(leaf.x509.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(leaf.issuedBy(cert('int'))).toBe(true);
    expect(leaf.issuedBy(cert('root'))).toBe(false);
  });
});

describe('chain validation', () => {
  it('builds end entity -> intermediate -> anchor', () => {
    const r = validateChain(cert('leaf'), [cert('other'), cert('int')], [cert('root')], now());
    expect(r.ok && r.path.map((x) => x.toString())).toEqual([
      'C=CH, O=Ferry Test, CN=vpn.ferry.test',
      'C=CH, O=Ferry Test, CN=Intermediate',
      'C=CH, O=Ferry Test, CN=Root',
    ]);
    expect(validateChain(cert('direct'), [], [cert('other'), cert('root')], now()).ok).toBe(true);
  });

  const failures: [string, () => ReturnType<typeof validateChain>, string][] = [
    [
      'untrusted: no path to the anchor',
      () => validateChain(cert('leaf'), [cert('int')], [cert('other')], now()),
      'untrusted',
    ],
    [
      'untrusted: intermediate missing',
      () => validateChain(cert('leaf'), [], [cert('root')], now()),
      'untrusted',
    ],
    [
      'expired intermediate',
      () => validateChain(cert('underExpired'), [cert('expiredInt')], [cert('root')], now()),
      'expired',
    ],
    [
      'a leaf that is not valid yet',
      () => validateChain(cert('future'), [], [cert('root')], now()),
      'not-yet-valid',
    ],
    [
      'everything expired some day',
      () => validateChain(cert('direct'), [], [cert('root')], new Date(Date.now() + 86_400_000 * 90)),
      'expired',
    ],
    [
      'an issuer that is not a CA',
      () => validateChain(cert('underNotCa'), [cert('notCa')], [cert('root')], now()),
      'bad-ca',
    ],
    [
      'an issuer without keyCertSign',
      () => validateChain(cert('underNoSign'), [cert('noSign')], [cert('root')], now()),
      'bad-ca',
    ],
    [
      'path length exceeded',
      () => validateChain(cert('strictLeaf'), [cert('strictInt')], [cert('strictRoot')], now()),
      'bad-ca',
    ],
    [
      'an end entity that may not sign',
      () => validateChain(cert('encipherOnly'), [], [cert('root')], now()),
      'key-usage',
    ],
  ];
  for (const [what, run, problem] of failures) {
    it(`refuses ${what} (${problem})`, () => {
      const r = run();
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.failure.problem).toBe(problem);
        expect(r.failure.message.length).toBeGreaterThan(10);
      }
    });
  }
});

describe('identities in certificates (RFC 4945 §3.1)', () => {
  it('matches DN against the subject, FQDN/IP/e-mail against subjectAltName only', () => {
    const leaf = cert('leaf');
    const dn = parseDistinguishedName('CN=vpn.ferry.test, O=Ferry Test, C=CH')!;
    expect(certificateHasIdentity(leaf, { type: 'dn', dn })).toBe(true);
    expect(certificateHasIdentity(leaf, { type: 'fqdn', name: 'vpn2.FERRY.test.' })).toBe(true);
    expect(certificateHasIdentity(leaf, { type: 'fqdn', name: 'other.ferry.test' })).toBe(false);
    expect(certificateHasIdentity(leaf, { type: 'ipv4', address: '10.202.0.2' })).toBe(true);
    expect(certificateHasIdentity(leaf, { type: 'ipv4', address: '10.202.0.3' })).toBe(false);
    expect(certificateHasIdentity(leaf, { type: 'email', address: 'OPS@ferry.test' })).toBe(true);
    // The CN is not a subjectAltName: a certificate without SAN does not carry its CN as FQDN.
    expect(certificateHasIdentity(cert('encipherOnly'), { type: 'fqdn', name: 'encipher' })).toBe(false);
  });
});
