/**
 * Fuzzing the certificate-side decoders with random and mutated inputs (seeds made by openssl in the test):
 * DER names and certificates (10^5 each), and the importer in front of PKCS#12, PEM and DER, which must answer
 * every input with a typed result and never throw. PKCS#12 seeds use one KDF iteration so each try is cheap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { err, ok } from '../../../core/common/result';
import { Certificate } from '../../../core/pki/certificate';
import { parseClientCredentials } from '../../../core/pki/credentials';
import { importCertificate } from '../../../core/pki/importer';
import { decodeDistinguishedName, parseDistinguishedName } from '../../../core/pki/names';
import { pemBlocks } from '../../../core/pki/pem';
import { readPkcs12 } from '../../../core/pki/pkcs12';
import { type TestCert, TestPki } from '../../lab/strongswan/testPki';
import { fuzzDecoder } from '../../support/fuzz';

let pki: TestPki;
let certs: TestCert[] = [];
let p12: Uint8Array[] = [];

beforeAll(() => {
  pki = new TestPki();
  const ca = pki.rootCa('ca', '/C=CH/O=Fuzz/CN=Fuzz CA', 'ec256');
  const rsa = pki.issue('rsa', ca, {
    subject: '/O=Fuzz/CN=rsa',
    keyType: 'rsa',
    san: ['DNS:a.example', 'IP:10.1.2.3'],
  });
  const ec = pki.issue('ec', ca, {
    subject: '/O=Fuzz/OU=x/CN=ec',
    keyType: 'ec384',
    san: ['email:a@b.example'],
  });
  certs = [ca, rsa, ec];
  p12 = [
    pki.pkcs12(ec, 'pw', { cheap: true }),
    pki.pkcs12(rsa, 'pw', { cheap: true, pbe: '3des', chain: [ca] }),
  ];
});
afterAll(() => pki.cleanup());

/** A never-throwing function as a decoder for fuzzDecoder: a thrown exception or 'internal' fails the test. */
function total<T>(f: (input: Uint8Array) => { ok: boolean } & T) {
  return (input: Uint8Array) => {
    const r = f(input);
    return r.ok ? ok(r) : err({ code: 'invalid' as const, message: 'refused' });
  };
}

describe('fuzzing the PKI decoders', () => {
  it('decodeDistinguishedName survives 10^5 inputs and decodes every real name', () => {
    const seeds = certs.flatMap((c) => {
      const x = Certificate.fromDer(c.der);
      if (!x.ok) throw new Error(x.error.message);
      return [x.value.subjectDer, x.value.issuerDer];
    });
    const stats = fuzzDecoder('decodeDistinguishedName', decodeDistinguishedName, seeds);
    expect(stats.ok).toBeGreaterThan(0);
  });

  it('Certificate.fromDer survives 10^5 inputs; whatever parses re-encodes to itself', () => {
    const stats = fuzzDecoder(
      'Certificate.fromDer',
      Certificate.fromDer,
      certs.map((c) => c.der),
      {
        maxRandomLength: 512,
        check: (cert, input) => {
          expect(Buffer.compare(Buffer.from(cert.der), Buffer.from(input))).toBe(0);
        },
      },
    );
    expect(stats.ok).toBeGreaterThan(0);
  });

  it('the importer answers 10^4 mutated PKCS#12 files with a typed result', () => {
    const stats = fuzzDecoder(
      'importCertificate(pkcs12)',
      total((input) => importCertificate(input, { role: 'client', password: 'pw' })),
      p12,
      { iterations: Number(process.env.FUZZ_ITERATIONS ?? 10_000), mutateShare: 0.95 },
    );
    expect(stats.ok).toBeGreaterThan(0);
    const direct = fuzzDecoder(
      'readPkcs12',
      total((input) => readPkcs12(input, 'pw')),
      p12,
      {
        iterations: Number(process.env.FUZZ_ITERATIONS ?? 20_000),
      },
    );
    expect(direct.ok).toBeGreaterThan(0);
  });

  it('PEM text, text DNs and stored credentials: 2*10^4 mutated inputs each, never a throw', () => {
    const pems = certs.map((c) => new TextEncoder().encode(c.certPem + c.keyPem));
    const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
    const n = { iterations: Number(process.env.FUZZ_ITERATIONS ?? 20_000) };
    fuzzDecoder(
      'importCertificate(pem)',
      total((i) => importCertificate(text(i), { role: 'client' })),
      pems,
      n,
    );
    fuzzDecoder('pemBlocks', (i) => ok(pemBlocks(text(i))), pems, n);
    fuzzDecoder(
      'parseClientCredentials',
      total((i) => parseClientCredentials(text(i))),
      pems,
      n,
    );
    const dns = ['C=CH, O=Fuzz, CN=a\\, b', '/C=CH/O=Fuzz/CN=x+OU=y'].map((s) => new TextEncoder().encode(s));
    fuzzDecoder('parseDistinguishedName', (i) => ok(parseDistinguishedName(text(i))), dns, n);
  });
});
