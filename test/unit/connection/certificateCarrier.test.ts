/**
 * A certificate profile end to end on the fake network: the carrier reads the client credentials from the
 * secret-store bundle, checks them against the profile (fingerprint, validity), takes the CA and remote ID from
 * the profile, reports the server certificate, and rekeys phase 1 with the same signatures (no INITIAL-CONTACT).
 */
import { createPrivateKey } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FerryError } from '../../../core/common/errors';
import type { L2tpCarrier } from '../../../core/connection/carrier';
import type { IpsecAlgorithms } from '../../../core/connection/ipsecCarrier';
import { machineSecretKind, machineSecretOption } from '../../../core/connection/ipsecProfile';
import { Certificate } from '../../../core/pki/certificate';
import { serializeClientCredentials } from '../../../core/pki/credentials';
import { type TestCert, TestPki } from '../../lab/strongswan/testPki';
import { profile, SERVER, stats, up, type World, world } from './support/ipsecWorld';

let pki: TestPki;
let ca: TestCert;
let server: TestCert;
let client: TestCert;
let expired: TestCert;
let bundle: string;
let expiredBundle: string;

const parse = (t: TestCert) => {
  const r = Certificate.fromDer(t.der);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

beforeAll(() => {
  pki = new TestPki();
  ca = pki.rootCa('ca', '/C=CH/O=Unit/CN=Unit CA', 'ec256');
  server = pki.issue('server', ca, {
    subject: '/O=Unit/CN=vpn.unit.test',
    keyType: 'ec256',
    san: ['DNS:vpn.unit.test', `IP:${SERVER}`],
  });
  client = pki.issue('client', ca, { subject: '/O=Unit/CN=bob', keyType: 'ec256' });
  expired = pki.issue('expired', ca, {
    subject: '/O=Unit/CN=old bob',
    notBefore: new Date('2020-01-01'),
    notAfter: new Date('2021-01-01'),
  });
  bundle = serializeClientCredentials({
    certificate: parse(client),
    chain: [],
    privateKey: createPrivateKey(client.keyPem),
  });
  expiredBundle = serializeClientCredentials({
    certificate: parse(expired),
    chain: [],
    privateKey: createPrivateKey(expired.keyPem),
  });
});
afterAll(() => pki.cleanup());

let w: World | null = null;
const open: L2tpCarrier[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await w?.clock.run(c.close());
  w?.close();
  w = null;
});

const certProfile = (fp: string, remote = 'vpn.unit.test') =>
  profile({
    machineAuth: { method: 'certificate', clientCertificate: fp, caCertificatePem: ca.certPem },
    remoteId: { type: 'fqdn', value: remote },
  });

function signingWorld(): World {
  return world({
    responder: { signature: { privateKey: createPrivateKey(server.keyPem), chain: [server.der] } },
  });
}

async function failure(x: World, extra: Parameters<typeof up>[1]): Promise<FerryError> {
  return x.clock.run(up(x, extra)).then(
    () => {
      throw new Error('came up');
    },
    (e: unknown) => e as FerryError,
  );
}

describe('a certificate profile on the fake network', () => {
  it('comes up with ECDSA from the stored bundle and reports the server certificate', async () => {
    w = signingWorld();
    const p = certProfile(parse(client).fingerprintSha256);
    expect(machineSecretKind(p)).toBe('client-key');
    const c = await up(w, { profile: p, psk: undefined, ...machineSecretOption(p, bundle) });
    open.push(c);
    expect(c.algorithms as IpsecAlgorithms).toMatchObject({
      auth: 'ECDSA P-256',
      serverCertificate: 'O=Unit, CN=vpn.unit.test',
    });
    expect(w.responder.mm5Results).toEqual([{ ok: true, initialContact: true, certificates: 1 }]);
  });

  it('rekeys phase 1 with signatures again, without INITIAL-CONTACT', async () => {
    w = signingWorld();
    const p = certProfile(parse(client).fingerprintSha256);
    const c = await up(w, { profile: p, psk: undefined, clientCredentials: bundle });
    open.push(c);
    await w.clock.run((c as unknown as { rekey(x: string): Promise<void> }).rekey('phase1'));
    expect(w.responder.mm5Results).toEqual([
      { ok: true, initialContact: true, certificates: 1 },
      { ok: true, initialContact: false, certificates: 1 },
    ]);
    expect(stats(c).rekey.ikeRekeys).toBe(1);
  });

  const failures: [string, () => Parameters<typeof up>[1], string][] = [
    [
      'no credentials stored',
      () => ({ profile: certProfile(parse(client).fingerprintSha256), psk: undefined }),
      'client-certificate',
    ],
    [
      'credentials for another certificate',
      () => ({ profile: certProfile('ab'.repeat(32)), psk: undefined, clientCredentials: bundle }),
      'client-certificate',
    ],
    [
      'an expired client certificate',
      () => ({
        profile: certProfile(parse(expired).fingerprintSha256),
        psk: undefined,
        clientCredentials: expiredBundle,
      }),
      'client-certificate',
    ],
    [
      'a remote ID the server certificate lacks',
      () => ({
        profile: certProfile(parse(client).fingerprintSha256, 'other.unit.test'),
        psk: undefined,
        clientCredentials: bundle,
      }),
      'invalid-id',
    ],
  ];
  for (const [what, extra, code] of failures) {
    it(`fails phase 1 with ${code} for ${what}`, async () => {
      w = signingWorld();
      const e = await failure(w, extra());
      expect(e).toMatchObject({ phase: 'ike-phase1', code });
      expect(w.phases.at(-1)).toBe(`ike-phase1:failed ${code}`);
    });
  }
});
