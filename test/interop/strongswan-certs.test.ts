/**
 * Certificate authentication against strongSwan in the VM (issue 6 acceptance): a test CA made with openssl,
 * the server's certificate and key put into the VM, our client certificate imported from a PKCS#12 file.
 * Tunnels with RSA and with ECDSA signatures (ping through Connection.send); typed failures for a server
 * certificate from another CA, an expired server certificate, a remote ID mismatch and a wrong PKCS#12 password.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FerryError } from '../../core/common/errors';
import { clientCredentialsOf, importCertificate } from '../../core/pki/importer';
import { reconfigure, type StrongSwanInfo, serverLog, serverLogMark, strongswanLab } from '../lab/strongswan';
import type { LabCredentials } from '../lab/strongswan/config';
import { type TestCert, TestPki } from '../lab/strongswan/testPki';
import { describeLab } from '../support/env';
import {
  connectFailure,
  connectOrExplain,
  labProfile,
  pingThrough,
  session,
  type TimingRow,
  timingRow,
} from './support/strongswan';

const SERVER_NAME = 'vpn.ferry.test';
const P12_PASSWORD = 'Ferry-p12-Pässwort';
const rows: TimingRow[] = [];

interface Material {
  readonly pki: TestPki;
  readonly ca: TestCert;
  readonly otherCa: TestCert;
  readonly servers: Record<'rsa' | 'ecdsa' | 'other-ca' | 'expired', TestCert>;
  readonly clients: Record<'rsa' | 'ecdsa', Uint8Array>;
}

function material(): Material {
  const pki = new TestPki();
  const ca = pki.rootCa('ca', '/C=CH/O=Ferry Lab/CN=Ferry Lab Root CA', 'ec384');
  const otherCa = pki.rootCa('other-ca', '/C=CH/O=Someone Else/CN=Other CA', 'ec256');
  const server = (name: string, issuer: TestCert, keyType: 'rsa' | 'ec256', dates?: [Date, Date]) =>
    pki.issue(name, issuer, {
      subject: `/C=CH/O=Ferry Lab/CN=${SERVER_NAME}`,
      keyType,
      san: [`DNS:${SERVER_NAME}`, 'IP:10.202.0.2'],
      extendedKeyUsage: 'serverAuth,1.3.6.1.5.5.7.3.17',
      ...(dates ? { notBefore: dates[0], notAfter: dates[1] } : {}),
    });
  const client = (name: string, keyType: 'rsa' | 'ec256') =>
    pki.pkcs12(
      pki.issue(name, ca, {
        subject: `/C=CH/O=Ferry Lab/CN=alice-${name}`,
        keyType,
        san: ['email:alice@ferry.test'],
      }),
      P12_PASSWORD,
      { chain: [ca] },
    );
  return {
    pki,
    ca,
    otherCa,
    servers: {
      rsa: server('server-rsa', ca, 'rsa'),
      ecdsa: server('server-ec', ca, 'ec256'),
      'other-ca': server('server-other', otherCa, 'ec256'),
      expired: server('server-old', ca, 'ec256', [new Date('2021-01-01'), new Date('2022-01-01')]),
    },
    clients: { rsa: client('client-rsa', 'rsa'), ecdsa: client('client-ec', 'ec256') },
  };
}

function serverCredentials(m: Material, cert: TestCert): LabCredentials {
  return {
    caPems: [m.ca.certPem],
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    keyType: cert.keyType === 'rsa' ? 'rsa' : 'ecdsa',
  };
}

function certificateProfile(info: StrongSwanInfo, m: Material, p12: Uint8Array, remote = SERVER_NAME) {
  const imported = importCertificate(p12, { role: 'client', password: P12_PASSWORD });
  if (!imported.ok) throw imported.error;
  const credentials = clientCredentialsOf(imported.value);
  if (!credentials) throw new Error('the PKCS#12 file has no key');
  const profile = labProfile(info, {
    machineAuth: {
      method: 'certificate',
      clientCertificate: imported.value.summary.fingerprintSha256,
      caCertificatePem: m.ca.certPem,
    },
    remoteId: { type: 'fqdn', value: remote },
  });
  return { profile, credentials, imported: imported.value };
}

describeLab('certificate authentication against strongSwan (VM)', () => {
  let m: Material;
  let info: StrongSwanInfo;
  const t0 = performance.now();

  beforeAll(async () => {
    m = material();
    info = await strongswanLab.up({
      config: { auth: 'pubkey', credentials: serverCredentials(m, m.servers.rsa) },
    });
  });
  afterAll(async () => {
    await strongswanLab.down();
    m?.pki.cleanup();
    console.table(rows);
    console.log(`strongswan-certs total ${Math.round((performance.now() - t0) / 1000)} s`);
  });

  for (const kind of ['rsa', 'ecdsa'] as const) {
    it(`comes up with ${kind.toUpperCase()} certificates (client from PKCS#12) and pings through the tunnel`, async () => {
      if (kind === 'ecdsa')
        info = await reconfigure({ auth: 'pubkey', credentials: serverCredentials(m, m.servers.ecdsa) });
      const { profile, credentials, imported } = certificateProfile(info, m, m.clients[kind]);
      expect(imported.format).toBe('pkcs12');
      const mark = await serverLogMark();
      const s = session(info, profile, { clientCredentials: credentials });
      const up = await connectOrExplain(s);
      const rtt = await pingThrough(s.conn, up.addresses.localIp, info.tunnelPeerAddress);
      const log = (await serverLog()).slice(mark);
      // The server verified our signature and certificate chain.
      expect(log).toMatch(
        new RegExp(
          `authentication of 'C=CH, O=Ferry Lab, CN=alice-client-${kind === 'rsa' ? 'rsa' : 'ec'}' with ${kind === 'rsa' ? 'RSA' : 'ECDSA'}`,
        ),
      );
      const carrier = s.conn.counters().carrier as { auth?: string; peer?: string };
      rows.push(
        timingRow(`${kind} certificates`, s.conn, {
          'ping ms': Math.round(rtt),
          auth: String(up.algorithms.ike),
        }),
      );
      expect(carrier).toBeDefined();
      await s.conn.disconnect();
    });
  }

  const failures: [string, () => Promise<Partial<LabCredentials> | null>, string, string, string][] = [
    [
      'the server certificate was issued by another CA',
      async () => ({ certPem: m.servers['other-ca'].certPem, keyPem: m.servers['other-ca'].keyPem }),
      SERVER_NAME,
      'server-cert-untrusted',
      'not the profile',
    ],
    [
      'the server certificate has expired',
      async () => ({ certPem: m.servers.expired.certPem, keyPem: m.servers.expired.keyPem }),
      SERVER_NAME,
      'server-cert-expired',
      'expired on',
    ],
    [
      'the remote ID is not in the server certificate',
      async () => null,
      'other.ferry.test',
      'invalid-id',
      'other.ferry.test',
    ],
  ];
  for (const [what, server, remote, code, text] of failures) {
    it(`fails with ${code} when ${what}`, async () => {
      const variant = await server();
      info = await reconfigure({
        auth: 'pubkey',
        credentials: { ...serverCredentials(m, m.servers.ecdsa), ...(variant ?? {}) },
      });
      const { profile, credentials } = certificateProfile(info, m, m.clients.ecdsa, remote);
      const t = performance.now();
      const e = await connectFailure(session(info, profile, { clientCredentials: credentials }));
      expect(e).toBeInstanceOf(FerryError);
      expect(e).toMatchObject({ phase: 'ike-phase1', code });
      expect(e.message).toContain(text);
      expect(e.hint.length).toBeGreaterThan(20);
      rows.push({
        run: `failure: ${code}`,
        'phase 1 ms': Math.round(performance.now() - t),
        hint: e.hint.slice(0, 60),
      });
    });
  }

  it('refuses a wrong PKCS#12 password with bad-password before anything is sent', () => {
    const r = importCertificate(m.clients.ecdsa, { role: 'client', password: 'not-the-password' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ code: 'bad-password' });
      expect(r.error.message).not.toContain('not-the-password');
    }
  });
});
