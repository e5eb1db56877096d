/**
 * Main Mode with RSA and ECDSA signatures (RFC 2409 §5.1, RFC 4754) against the scripted responder playing
 * strongSwan with authby=pubkey: what we offer and send (auth method, CERT_REQ for our CA, IDii = our subject DN,
 * CERT, SIG), and every typed failure of the server's side: untrusted, expired, wrong identity, bad signature,
 * no certificate, a certificate that may not sign, and the server refusing ours.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes } from '../../../core/common/bytes';
import { AuthMethod, NotifyType } from '../../../core/ike/constants';
import type { IkeSaOptions } from '../../../core/ike/ikeSa';
import { decodePlainMessage, payloadsOfKind } from '../../../core/ike/message';
import type { RemoteIdentity } from '../../../core/ike/peerIdentity';
import { parsePhase1Transform } from '../../../core/ike/proposals';
import { Certificate } from '../../../core/pki/certificate';
import { parseDistinguishedName } from '../../../core/pki/names';
import { type TestCert, TestPki } from '../../lab/strongswan/testPki';
import { type Harness, harness, SERVER } from './support/harness';
import type { ResponderOptions } from './support/responder';

let pki: TestPki;
const t: Record<string, TestCert> = {};
const certOf = (name: string) => {
  const r = Certificate.fromDer(t[name]!.der);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const keyOf = (name: string): KeyObject => createPrivateKey(t[name]!.keyPem);

beforeAll(() => {
  pki = new TestPki();
  t.ca = pki.rootCa('ca', '/C=CH/O=Ferry/CN=Ferry CA', 'ec256');
  t.other = pki.rootCa('other', '/C=CH/O=Other/CN=Other CA', 'ec256');
  const server = (name: string, keyType: 'rsa' | 'ec256' | 'ec384', extra: Record<string, unknown> = {}) =>
    pki.issue(name, (extra.issuer as TestCert | undefined) ?? t.ca!, {
      subject: '/C=CH/O=Ferry/CN=vpn.ferry.test',
      keyType,
      san: ['DNS:vpn.ferry.test', `IP:${SERVER}`],
      ...extra,
    });
  t.serverRsa = server('server-rsa', 'rsa');
  t.serverEc = server('server-ec', 'ec256');
  t.serverEc384 = server('server-ec384', 'ec384');
  t.serverOther = server('server-other', 'ec256', { issuer: t.other });
  t.serverNoSign = server('server-nosign', 'ec256', { keyUsage: 'critical,keyEncipherment' });
  t.clientRsa = pki.issue('client-rsa', t.ca, { subject: '/O=Ferry/CN=alice', keyType: 'rsa' });
  t.clientEc = pki.issue('client-ec', t.ca, { subject: '/O=Ferry/CN=alice', keyType: 'ec256' });
  t.clientEc384 = pki.issue('client-ec384', t.ca, { subject: '/O=Ferry/CN=alice', keyType: 'ec384' });
});
afterAll(() => pki.cleanup());

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

interface Case {
  readonly client: string;
  readonly server: string;
  readonly remote?: RemoteIdentity;
  readonly now?: Date;
  readonly responder?: Partial<ResponderOptions>;
  readonly tamper?: 'bad-signature' | 'no-certificate';
}

async function run(c: Case) {
  const requests: Uint8Array[][] = [];
  const sa: Partial<IkeSaOptions> = {
    psk: undefined,
    certificate: {
      credentials: { certificate: certOf(c.client), chain: [], privateKey: keyOf(c.client) },
      trust: { anchors: [certOf('ca')], remoteIdentity: c.remote, now: () => c.now ?? new Date() },
    },
  };
  h = await harness({
    sa,
    responder: {
      signature: {
        privateKey: keyOf(c.server),
        chain: [t[c.server]!.der],
        ...(c.tamper ? { tamper: c.tamper } : {}),
      },
      onCertificateRequests: (a) => requests.push(a),
      ...c.responder,
    },
  });
  const x = h;
  const outcome = await x.clock.run(x.ikeSa.establish()).then(
    (result) => ({ result, error: null }),
    (error: unknown) => ({
      result: null,
      error: error as { phase: string; code: string; message: string; hint: string },
    }),
  );
  return { ...outcome, requests, h: x };
}

describe('signature authentication: success', () => {
  for (const [client, server, method] of [
    ['clientRsa', 'serverRsa', AuthMethod.RSA_SIGNATURES],
    ['clientEc', 'serverEc', AuthMethod.ECDSA_SHA256_P256],
    ['clientEc384', 'serverEc384', AuthMethod.ECDSA_SHA384_P384],
  ] as const) {
    it(`establishes with ${client} / ${server} (auth method ${method})`, async () => {
      const r = await run({ client, server, remote: { type: 'fqdn', name: 'vpn.ferry.test' } });
      if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
      // MM1 offers every transform with the method our key signs with.
      const mm1 = decodePlainMessage(r.h.net.log[0]!.data);
      const sa = mm1.ok ? payloadsOfKind(mm1.value.payloads, 'sa')[0]!.payload : null;
      const methods = sa!.proposals[0]!.transforms.map((x) => {
        const p = parsePhase1Transform(x);
        return typeof p === 'string' ? p : p.authMethod;
      });
      expect(new Set(methods)).toEqual(new Set([method]));
      // MM3 asks for a certificate from our CA; MM5 carries ours and a valid SIG.
      expect(r.requests).toHaveLength(1);
      expect(equalBytes(r.requests[0]![0]!, certOf('ca').subjectDer)).toBe(true);
      expect(r.h.responder.mm5Results).toEqual([{ ok: true, initialContact: true, certificates: 1 }]);
      // IDii is our subject DN; the server's certificate path is reported.
      expect(r.h.ikeSa.sa.localId.identity).toMatchObject({ type: 'der-asn1-dn' });
      expect(r.h.ikeSa.peerCertificate?.path.map((c) => c.toString())).toEqual([
        'C=CH, O=Ferry, CN=vpn.ferry.test',
        'C=CH, O=Ferry, CN=Ferry CA',
      ]);
    });
  }

  it('accepts a remote ID given as a DN (any order) or as the IP address in subjectAltName', async () => {
    const dn = parseDistinguishedName('CN=vpn.ferry.test, O=Ferry, C=CH')!;
    for (const remote of [
      { type: 'dn', dn },
      { type: 'ipv4', address: SERVER },
    ] as RemoteIdentity[]) {
      const r = await run({ client: 'clientEc', server: 'serverEc', remote });
      expect(r.error).toBeNull();
      h?.close();
      h = null;
    }
  });
});

describe('signature authentication: typed failures', () => {
  const cases: [string, Case, string, RegExp][] = [
    [
      'a server certificate from another CA',
      { client: 'clientEc', server: 'serverOther' },
      'server-cert-untrusted',
      /Other CA/,
    ],
    [
      'an expired server certificate',
      { client: 'clientEc', server: 'serverEc', now: new Date(Date.now() + 86_400_000 * 60) },
      'server-cert-expired',
      /expired on/,
    ],
    [
      'a remote ID the certificate does not carry',
      { client: 'clientEc', server: 'serverEc', remote: { type: 'fqdn', name: 'other.ferry.test' } },
      'invalid-id',
      /other\.ferry\.test/,
    ],
    [
      'an ID payload the certificate does not carry',
      {
        client: 'clientEc',
        server: 'serverEc',
        responder: { idr: { identity: { type: 'fqdn', name: 'evil.example' }, protocol: 0, port: 0 } },
      },
      'invalid-id',
      /evil\.example/,
    ],
    [
      'a signature that does not verify',
      { client: 'clientEc', server: 'serverEc', tamper: 'bad-signature' },
      'bad-signature',
      /does not verify/,
    ],
    [
      'no certificate in MM6',
      { client: 'clientEc', server: 'serverEc', tamper: 'no-certificate' },
      'server-cert-missing',
      /no certificate/,
    ],
    [
      'a server certificate that may not sign',
      { client: 'clientEc', server: 'serverNoSign' },
      'server-cert-invalid',
      /may not sign/,
    ],
    [
      'the server refusing our certificate',
      {
        client: 'clientEc',
        server: 'serverEc',
        responder: {
          badMm5: 'notify-encrypted',
          badMm5Notify: NotifyType.AUTHENTICATION_FAILED,
          accept: () => true,
          signature: undefined,
        },
      },
      'certificate-rejected',
      /AUTHENTICATION_FAILED|authentication failed/,
    ],
  ];
  for (const [what, c, code, message] of cases) {
    it(`${what} -> ike-phase1 ${code}`, async () => {
      const r = await run(c);
      expect(r.error).toMatchObject({ phase: 'ike-phase1', code });
      expect(r.error!.message).toMatch(message);
      expect(r.error!.hint.length).toBeGreaterThan(30);
    });
  }

  it('a server set up for PSK refuses the proposals: the hint says to check the authentication method', async () => {
    const r = await run({
      client: 'clientEc',
      server: 'serverEc',
      responder: { accept: (p) => p.authMethod === AuthMethod.PRE_SHARED_KEY },
    });
    expect(r.error).toMatchObject({ phase: 'ike-phase1', code: 'no-proposal-chosen' });
    expect(r.error!.hint).toMatch(/certificate \(not pre-shared key\) authentication/);
  });
});
