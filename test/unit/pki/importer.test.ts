/**
 * Certificate import against files the openssl CLI makes in the test (nothing checked in): PKCS#12 in OpenSSL 3's
 * default (AES-256/PBKDF2), legacy (RC2-40 + 3DES) and 3DES encryption, PEM (PKCS#8, traditional, encrypted) and
 * DER, with the typed errors (wrong password, not a certificate, key mismatch, unsupported algorithm, expired).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClientCredentials, serializeClientCredentials } from '../../../core/pki/credentials';
import { clientCredentialsOf, importCertificate } from '../../../core/pki/importer';
import { importCertificateRequest } from '../../../core/pki/ipcImport';
import { type TestCert, TestPki } from '../../lab/strongswan/testPki';

const PASSWORD = 'Ünïcödé-p12-Pässwort';
let pki: TestPki;
let ca: TestCert;
const client: Partial<
  Record<'rsa' | 'ec256' | 'ec384' | 'ec521' | 'ed25519' | 'rsa1024' | 'expired' | 'future', TestCert>
> = {};

beforeAll(() => {
  pki = new TestPki();
  ca = pki.rootCa('ca', '/C=CH/O=Ferry Test/CN=Ferry Test CA', 'ec256');
  for (const k of ['rsa', 'ec256', 'ec384', 'ec521', 'ed25519', 'rsa1024'] as const)
    client[k] = pki.issue(`client-${k}`, ca, {
      subject: `/O=Ferry Test/CN=client ${k}`,
      keyType: k,
      san: ['email:alice@ferry.test'],
    });
  client.expired = pki.issue('client-expired', ca, {
    subject: '/CN=expired',
    notBefore: new Date('2020-01-01'),
    notAfter: new Date('2021-01-01'),
  });
  client.future = pki.issue('client-future', ca, {
    subject: '/CN=future',
    notBefore: new Date(Date.now() + 86_400_000 * 30),
    notAfter: new Date(Date.now() + 86_400_000 * 60),
  });
});
afterAll(() => pki.cleanup());

const opensslFingerprint = (c: TestCert) =>
  execFileSync('openssl', ['x509', '-in', pki.file(c, 'pem'), '-noout', '-fingerprint', '-sha256'])
    .toString()
    .split('=')[1]!
    .trim()
    .replace(/:/g, '')
    .toLowerCase();

describe('PKCS#12', () => {
  for (const pbe of ['modern', 'legacy', '3des'] as const) {
    for (const kind of ['rsa', 'ec256'] as const) {
      it(`reads a ${pbe} ${kind} file: certificate, key, chain, details as openssl prints them`, () => {
        const cert = client[kind]!;
        const r = importCertificate(pki.pkcs12(cert, PASSWORD, { chain: [ca], pbe }), {
          role: 'client',
          password: PASSWORD,
        });
        if (!r.ok) throw r.error;
        const v = r.value;
        expect(v.format).toBe('pkcs12');
        expect(v.privateKey).not.toBeNull();
        expect(v.certificate.x509.checkPrivateKey(v.privateKey!)).toBe(true);
        expect(v.summary.subject).toBe(`O=Ferry Test, CN=client ${kind}`);
        expect(v.summary.issuer).toBe('C=CH, O=Ferry Test, CN=Ferry Test CA');
        expect(v.summary.fingerprintSha256).toBe(opensslFingerprint(cert));
        expect(v.summary.key.label).toBe(kind === 'rsa' ? 'RSA 2048' : 'ECDSA P-256');
        expect(v.others.map((o) => o.fingerprintSha256)).toEqual([opensslFingerprint(ca)]);
        expect(Date.parse(v.summary.notAfter)).toBeGreaterThan(Date.now());
      });
    }
  }

  it('tells a wrong password (bad-password) and a missing one (password-required); the password never appears', () => {
    const p12 = pki.pkcs12(client.ec256!, PASSWORD);
    const wrong = importCertificate(p12, { role: 'client', password: 'hunter2-wrong' });
    expect(wrong.ok || wrong.error).toMatchObject({ code: 'bad-password', phase: 'secrets' });
    if (!wrong.ok) expect(JSON.stringify(wrong.error.toJSON())).not.toContain('hunter2');
    const missing = importCertificate(p12, { role: 'client' });
    expect(missing.ok || missing.error.code).toBe('password-required');
  });

  it('accepts an empty password and every key type IKE can use (P-384, P-521)', () => {
    for (const k of ['ec384', 'ec521'] as const) {
      const r = importCertificate(pki.pkcs12(client[k]!, ''), { role: 'client', password: '' });
      if (!r.ok) throw r.error;
      expect(r.value.summary.key.label).toBe(k === 'ec384' ? 'ECDSA P-384' : 'ECDSA P-521');
    }
  });

  it('refuses keys IKE cannot sign with (Ed25519, RSA-1024) with unsupported-algorithm', () => {
    for (const k of ['ed25519', 'rsa1024'] as const) {
      const r = importCertificate(pki.pkcs12(client[k]!, PASSWORD), { role: 'client', password: PASSWORD });
      expect(r.ok || r.error.code).toBe('unsupported-algorithm');
    }
  });
});

describe('PEM and DER', () => {
  it('reads a certificate with its key as PKCS#8, traditional (PKCS#1/SEC1) and encrypted PKCS#8', () => {
    for (const kind of ['rsa', 'ec256'] as const) {
      const cert = client[kind]!;
      for (const form of ['pkcs8', 'traditional'] as const) {
        const r = importCertificate(cert.certPem + pki.keyPem(cert, form), { role: 'client' });
        if (!r.ok) throw r.error;
        expect(r.value.format).toBe('pem');
        expect(r.value.privateKey).not.toBeNull();
      }
      const enc = cert.certPem + pki.keyPem(cert, 'encrypted', 'pem-pass');
      const good = importCertificate(new TextEncoder().encode(enc), { role: 'client', password: 'pem-pass' });
      expect(good.ok && good.value.privateKey !== null).toBe(true);
      expect(importCertificate(enc, { role: 'client', password: 'nope' })).toMatchObject({
        ok: false,
        error: { code: 'bad-password' },
      });
      expect(importCertificate(enc, { role: 'client' })).toMatchObject({
        ok: false,
        error: { code: 'password-required' },
      });
    }
  });

  it('reads a DER CA certificate, and tells a lone key, garbage and an empty file apart', () => {
    const der = importCertificate(ca.der, { role: 'ca' });
    if (!der.ok) throw der.error;
    expect(der.value).toMatchObject({ format: 'der', summary: { isCa: true } });
    expect(importCertificate(pki.keyDer(client.rsa!), { role: 'client' })).toMatchObject({
      ok: false,
      error: { code: 'not-a-certificate' },
    });
    expect(importCertificate(Uint8Array.of(1, 2, 3, 4), { role: 'ca' })).toMatchObject({
      ok: false,
      error: { code: 'unsupported-format' },
    });
    expect(importCertificate(new Uint8Array(0), { role: 'ca' })).toMatchObject({
      ok: false,
      error: { code: 'not-a-certificate' },
    });
    expect(importCertificate(new Uint8Array(1024 * 1024 + 1), { role: 'ca' })).toMatchObject({
      ok: false,
      error: { code: 'too-large' },
    });
    expect(
      importCertificate('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', { role: 'ca' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'unsupported-format' },
    });
  });

  it('finds the key that does not belong to the certificate (key-mismatch)', () => {
    const r = importCertificate(client.rsa!.certPem + pki.keyPem(client.ec256!, 'pkcs8'), { role: 'client' });
    expect(r.ok || r.error.code).toBe('key-mismatch');
  });

  it('refuses an expired certificate (expired) unless asked to inspect it; warns about one not yet valid', () => {
    const expired = importCertificate(client.expired!.certPem, { role: 'client' });
    expect(expired.ok || expired.error).toMatchObject({ code: 'expired', phase: 'secrets' });
    const inspected = importCertificate(client.expired!.certPem, { role: 'client', allowExpired: true });
    expect(inspected.ok && inspected.value.warnings.join(' ')).toMatch(/expired on 2021-01-01/);
    const future = importCertificate(client.future!.certPem, { role: 'ca' });
    expect(future.ok && future.value.warnings.join(' ')).toMatch(/valid only from/);
  });

  it('a CA imported as CA keeps no key; an end-entity imported as CA is warned about', () => {
    const r = importCertificate(client.rsa!.certPem, { role: 'ca' });
    expect(r.ok && r.value.warnings).toEqual([
      'This is not a CA certificate (basic constraints do not say CA).',
    ]);
  });
});

describe('stored client credentials and the IPC request', () => {
  it('round-trips through the secret-store bundle and checks the fingerprint the profile names', () => {
    const r = importCertificate(pki.pkcs12(client.ec256!, PASSWORD, { chain: [ca] }), {
      role: 'client',
      password: PASSWORD,
    });
    if (!r.ok) throw r.error;
    const creds = clientCredentialsOf(r.value);
    expect(creds?.chain).toEqual([]); // the self-signed root is not sent
    const text = serializeClientCredentials(creds!);
    expect(text).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const back = parseClientCredentials(text, r.value.summary.fingerprintSha256);
    expect(back.ok && back.value.certificate.fingerprintSha256).toBe(r.value.summary.fingerprintSha256);
    expect(parseClientCredentials(text, '00'.repeat(32))).toMatchObject({
      ok: false,
      error: { code: 'key-mismatch' },
    });
    expect(parseClientCredentials(client.rsa!.certPem)).toMatchObject({
      ok: false,
      error: { code: 'no-private-key' },
    });
  });

  it('answers the app: CertificateInfo, and a bundle to store only for a client certificate with its key', () => {
    const p12 = pki.pkcs12(client.rsa!, PASSWORD);
    const r = importCertificateRequest({
      format: 'pkcs12',
      dataBase64: Buffer.from(p12).toString('base64'),
      password: PASSWORD,
    });
    if (!r.ok) throw r.error;
    expect(r.value.info).toMatchObject({
      subject: 'O=Ferry Test, CN=client rsa',
      hasPrivateKey: true,
      isCa: false,
    });
    expect(r.value.keyType).toBe('RSA 2048');
    expect(r.value.clientCredentials).toMatch(/BEGIN PRIVATE KEY[\s\S]+BEGIN CERTIFICATE/);
    const caReq = importCertificateRequest({ format: 'pem', text: ca.certPem, role: 'ca' });
    expect(caReq.ok && caReq.value).toMatchObject({
      clientCredentials: null,
      info: { isCa: true, hasPrivateKey: false },
    });
    const bad = importCertificateRequest({
      format: 'pkcs12',
      dataBase64: Buffer.from(p12).toString('base64'),
      password: 'x',
    });
    expect(bad.ok || bad.error.code).toBe('bad-password');
  });
});
