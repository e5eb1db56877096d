import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { ExchangeType, NotifyType } from '../../../core/ike/constants';
import { decodeHeader, decodePlainMessage, encodeMessage, payloadsOfKind } from '../../../core/ike/message';
import type { Phase1Result } from '../../../core/ike/phase1';
import { DEFAULT_PHASE1_PROPOSALS, defaultPhase1Proposals } from '../../../core/ike/proposals';
import { CLIENT, type Harness, harness, PSK, SERVER } from './support/harness';

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

async function establish(x: Harness): Promise<Phase1Result> {
  return x.clock.run(x.ikeSa.establish());
}

async function failure(x: Harness): Promise<FerryError> {
  const p = x.ikeSa.establish();
  const caught = p.then(
    () => null,
    (e: unknown) => e,
  );
  await x.clock.run(p).catch(() => {});
  const e = await caught;
  expect(e).toBeInstanceOf(FerryError);
  return e as FerryError;
}

/** IKE datagrams the client sent (marker stripped), with the port they went to. */
function clientIke(x: Harness) {
  return x.net.log
    .filter((d) => d.from.address === CLIENT)
    .map((d) => ({ port: d.to.port, data: d.to.port === 4500 ? d.data.subarray(4) : d.data, raw: d.data }));
}

describe('Main Mode with PSK against the scripted responder', () => {
  it('establishes, floats to 4500 with the non-ESP marker and reports the negotiated state', async () => {
    h = await harness();
    const r = await establish(h);
    expect(r.proposal).toEqual(DEFAULT_PHASE1_PROPOSALS[0]);
    expect(r.lifetimeSeconds).toBe(28800);
    expect(r.natt).toMatchObject({
      variant: 'rfc3947',
      draftPayloads: false,
      floated: true,
      forcedEncapsulation: true,
    });
    // No NAT on the fake network: the server's hash of our address matches; its own hash is over 0.0.0.0.
    expect(r.natt.localBehindNat).toBe(false);
    expect(r.natt.remoteBehindNat).toBe(true);
    expect(r.peerId.identity).toEqual({ type: 'ipv4', address: '0.0.0.0' });
    expect(r.peerSupportsDpd).toBe(true);
    expect(r.peerVendorIds).toContain('NAT-T rfc3947');
    expect(r.retransmissions).toBe(0);
    expect(r.timings.totalMs).toBeGreaterThan(0);
    expect(h.ikeSa.established).toBe(true);
    expect(h.responder.mm5Results).toEqual([{ ok: true, initialContact: true }]);

    const sent = clientIke(h);
    expect(sent.map((s) => s.port)).toEqual([500, 500, 4500]);
    expect([...sent[2]!.raw.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    // MM1 carries the SA and the five vendor IDs.
    const mm1 = decodePlainMessage(sent[0]!.data);
    expect(mm1.ok).toBe(true);
    if (!mm1.ok) return;
    expect(
      payloadsOfKind(mm1.value.payloads, 'vid').map((v) => Buffer.from(v.payload.data).toString('hex')),
    ).toEqual([
      '4a131c81070358455c5728f20e95452f',
      '7d9419a65310ca6f2c179d9215529d56',
      'cd60464335df21f87cfdb2fc68b6a448',
      '90cb80913ebb696e086381b5ec427b1f',
      'afcad71368a1f1c96b8696fc77570100',
    ]);
    expect(payloadsOfKind(mm1.value.payloads, 'sa')[0]!.payload.proposals[0]!.transforms).toHaveLength(6);
  });

  it('keeps the SA state Quick Mode needs and derives per-exchange IVs the responder agrees with', async () => {
    h = await harness();
    await establish(h);
    const sa = h.ikeSa.sa;
    expect(sa.keys.skeyidD).toHaveLength(32);
    expect(sa.keys.skeyidA).toHaveLength(32);
    expect(sa.cipher.key).toHaveLength(32);
    expect(sa.natt.variant).toBe('rfc3947');
    const rsa = h.responder.sas[0]!;
    expect(Buffer.from(sa.keys.skeyidD)).toEqual(Buffer.from(rsa.keys!.skeyidD));
    // An encrypted informational from us decrypts on the responder with hash(last MM6 block | M-ID).
    const mid = h.ikeSa.newMessageId();
    const bytes = h.ikeSa.encrypt(ExchangeType.INFORMATIONAL, mid, [
      h.responder.notify(NotifyType.R_U_THERE),
    ]);
    const dec = h.responder.decryptFromInitiator(rsa, bytes);
    expect(dec.ok).toBe(true);
    if (dec.ok)
      expect(payloadsOfKind(dec.value.payloads, 'notify')[0]!.payload.type).toBe(NotifyType.R_U_THERE);
    // And one from the responder decrypts on our side.
    const mid2 = 0x0badf00d;
    const fromServer = h.responder.encryptedInformational(rsa, mid2, [
      h.responder.notify(NotifyType.R_U_THERE),
    ]);
    const hdr = decodeHeader(fromServer);
    expect(hdr.ok).toBe(true);
    if (!hdr.ok) return;
    const ours = h.ikeSa.decrypt(fromServer, hdr.value);
    expect(ours.ok).toBe(true);
    // Unsolicited messages after phase 1 go to the handler registered for their exchange type.
    const seen: number[] = [];
    const off = h.ikeSa.onExchange(ExchangeType.INFORMATIONAL, (_m, header, via) => {
      seen.push(header.messageId);
      expect(via).toBe('natt');
    });
    const dpd = h.responder.encryptedInformational(rsa, 0x0c0ffee0, [
      h.responder.notify(NotifyType.R_U_THERE),
    ]);
    const framed = new Uint8Array(dpd.length + 4);
    framed.set(dpd, 4);
    const to = { address: CLIENT, port: h.transport.localPorts.natt };
    h.net.inject({ address: SERVER, port: 4500 }, to, framed);
    await h.clock.advance(5);
    off();
    h.net.inject({ address: SERVER, port: 4500 }, to, framed);
    await h.clock.advance(5);
    expect(seen).toEqual([0x0c0ffee0]);
    expect(h.ikeSa.counters.ignored.unexpected).toBe(1);
  });

  it.each([
    ['aes128-sha1-modp2048', { encryption: 'aes128', hash: 'sha1', group: 'modp2048' }],
    ['aes256-sha256-ecp256', { encryption: 'aes256', hash: 'sha256', group: 'ecp256' }],
    ['aes256-sha384-ecp384', { encryption: 'aes256', hash: 'sha384', group: 'ecp384' }],
  ] as const)('negotiates %s when that is all the server accepts', async (_name, want) => {
    h = await harness({
      responder: {
        accept: (t) => t.encryption === want.encryption && t.hash === want.hash && t.group === want.group,
      },
    });
    const r = await establish(h);
    expect(r.proposal).toMatchObject(want);
  });

  it('negotiates legacy 3DES/MD5/MODP-1024 only when legacy proposals are offered', async () => {
    const legacyOnly = (t: { encryption: string; hash: string; group: string }) =>
      t.encryption === '3des' && t.hash === 'md5' && t.group === 'modp1024';
    h = await harness({ responder: { accept: legacyOnly } });
    expect((await failure(h)).code).toBe('no-proposal-chosen');
    h.close();
    h = await harness({
      responder: { accept: legacyOnly },
      sa: { proposals: defaultPhase1Proposals({ legacy: true }), allowLegacy: true },
    });
    const r = await establish(h);
    expect(r.proposal).toMatchObject({ encryption: '3des', hash: 'md5', group: 'modp1024' });
    expect(h.ikeSa.sa.blockSize).toBe(8);
  });

  it('refuses legacy proposals unless legacy is allowed', async () => {
    h = await harness({ sa: { proposals: defaultPhase1Proposals({ legacy: true }) } });
    const e = await failure(h);
    expect(e.code).toBe('no-proposal-chosen');
    expect(e.message).toContain('legacy');
  });

  it('speaks the draft dialect when the server only knows draft-02 (NAT-D type 130)', async () => {
    h = await harness({ responder: { nattVendorIds: ['draft-02'] } });
    const r = await establish(h);
    expect(r.natt).toMatchObject({ variant: 'draft-02', draftPayloads: true });
    expect(h.responder.events).toContain('mm3 natd=2 draft=true');
  });

  it('fails with nat-t-unsupported when the server announces no NAT-T', async () => {
    h = await harness({ responder: { nattVendorIds: [] } });
    expect((await failure(h)).code).toBe('nat-t-unsupported');
  });

  it('fails with nat-t-unsupported when MM4 has no NAT-D', async () => {
    h = await harness({ responder: { omitNatD: true } });
    expect((await failure(h)).code).toBe('nat-t-unsupported');
  });

  it('maps NO_PROPOSAL_CHOSEN to no-proposal-chosen with the legacy hint', async () => {
    h = await harness({ responder: { accept: () => false } });
    const e = await failure(h);
    expect(e.code).toBe('no-proposal-chosen');
    expect(e.describe()).toBe(
      'IKE phase 1: server rejected all proposals (NO_PROPOSAL_CHOSEN) — enable legacy algorithms in the profile if the server needs 3DES/modp1024',
    );
  });

  it("recognises SoftEther's NO_PROPOSAL_CHOSEN: fresh header cookie, our cookie as the notify SPI", async () => {
    h = await harness({ responder: { accept: () => false, softetherNoProposal: true } });
    const start = h.clock.now();
    const e = await failure(h);
    expect(e.code).toBe('no-proposal-chosen');
    expect(h.clock.now() - start).toBeLessThan(100);
  });

  it('ignores notifications under a foreign cookie that do not name our SA', async () => {
    h = await harness({
      responder: { ignore: new Set(['mm1']) },
      sa: { retransmit: { requestTimeoutMs: 2000 } },
    });
    const p = h.ikeSa.establish();
    const n = encodeMessage(
      {
        initiatorCookie: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9),
        responderCookie: new Uint8Array(8),
        exchangeType: ExchangeType.INFORMATIONAL,
        flags: 0,
        messageId: 1,
      },
      [h.responder.notify(NotifyType.NO_PROPOSAL_CHOSEN)],
    );
    h.net.inject({ address: SERVER, port: 500 }, { address: CLIENT, port: h.transport.localPorts.ike }, n);
    const caught = p.catch((e: unknown) => e);
    await h.clock.run(p).catch(() => {});
    expect(((await caught) as FerryError).code).toBe('timeout');
    expect(h.ikeSa.counters.ignored.foreign).toBe(1);
  });

  it('rejects a transform the client did not offer as malformed-reply', async () => {
    h = await harness({
      responder: {
        tamperMm2: (sa) => ({
          ...sa,
          proposals: sa.proposals.map((p) => ({
            ...p,
            transforms: p.transforms.map((t) => ({
              ...t,
              attributes: t.attributes.map((a) =>
                a.type === 4 && a.format === 'tv' ? { ...a, value: 15 } : a,
              ),
            })),
          })),
        }),
      },
    });
    const e = await failure(h);
    expect(e.code).toBe('malformed-reply');
    expect(e.message).toContain('not offered');
  });

  describe('wrong pre-shared key', () => {
    const wrong = new TextEncoder().encode('not-the-psk');

    it('server silent, retransmitting MM4 every 2 s (SoftEther): auth-failed within a few seconds', async () => {
      h = await harness({ responder: { psk: wrong, badMm5: 'silent', retransmitMs: 2000 } });
      const start = h.clock.now();
      const e = await failure(h);
      expect(e.code).toBe('auth-failed');
      expect(e.describe()).toMatch(/^IKE phase 1: authentication failed .* — check the pre-shared key$/);
      expect(h.clock.now() - start).toBeLessThanOrEqual(5000);
    });

    it.each([
      NotifyType.INVALID_PAYLOAD_TYPE,
      NotifyType.PAYLOAD_MALFORMED,
      NotifyType.AUTHENTICATION_FAILED,
      NotifyType.INVALID_HASH_INFORMATION,
    ])('unencrypted error notify %i after MM5: auth-failed at once', async (type) => {
      h = await harness({ responder: { psk: wrong, badMm5: 'notify-plain', badMm5Notify: type } });
      const start = h.clock.now();
      const e = await failure(h);
      expect(e.code).toBe('auth-failed');
      expect(h.clock.now() - start).toBeLessThan(100);
    });

    it('encrypted notify under the server keys (strongSwan): auth-failed at once', async () => {
      h = await harness({ responder: { psk: wrong, badMm5: 'notify-encrypted', badMm5Notify: 16 } });
      const e = await failure(h);
      expect(e.code).toBe('auth-failed');
      expect(e.message).toContain('cannot decrypt');
    });

    it('MM6 arrives but cannot be decrypted: auth-failed', async () => {
      h = await harness({ responder: { psk: wrong, badMm5: 'answer-anyway' } });
      const e = await failure(h);
      expect(e.code).toBe('auth-failed');
    });

    it('server silent and never retransmitting: timeout, bounded by the request timeout', async () => {
      h = await harness({
        responder: { psk: wrong, badMm5: 'silent' },
        sa: { retransmit: { requestTimeoutMs: 8000 } },
      });
      const start = h.clock.now();
      const e = await failure(h);
      expect(e.code).toBe('timeout');
      expect(h.clock.now() - start).toBeLessThanOrEqual(8100);
    });

    it('never puts the PSK into logs or errors', async () => {
      h = await harness({ responder: { psk: wrong, badMm5: 'notify-plain' } });
      const e = await failure(h);
      const text = JSON.stringify(h.ring.snapshot()) + e.message + e.hint + JSON.stringify(e.toJSON());
      expect(text).not.toContain(new TextDecoder().decode(PSK));
      expect(text).not.toContain(Buffer.from(PSK).toString('hex'));
      expect(h.ring.snapshot().length).toBeGreaterThan(3);
    });
  });

  describe('identities', () => {
    it('accepts any server ID when no remote ID is configured, and checks it when one is', async () => {
      h = await harness({
        responder: { idr: { identity: { type: 'fqdn', name: 'vpn.example.org' }, protocol: 17, port: 500 } },
        sa: { remoteId: { type: 'fqdn', name: 'vpn.example.org' } },
      });
      const r = await establish(h);
      expect(r.peerId).toEqual({
        identity: { type: 'fqdn', name: 'vpn.example.org' },
        protocol: 17,
        port: 500,
      });
    });

    it('fails with invalid-id when the server ID differs from the configured remote ID', async () => {
      h = await harness({ sa: { remoteId: { type: 'ipv4', address: SERVER } } });
      const e = await failure(h);
      expect(e.code).toBe('invalid-id');
      expect(e.message).toContain('0.0.0.0');
    });

    it.each(['iv-before-mm5', 'iv-after-mm5'] as const)(
      'decrypts an encrypted INVALID_ID_INFORMATION whatever phase-1 IV the server used (%s)',
      async (rejectId) => {
        h = await harness({ responder: { rejectId } });
        const e = await failure(h);
        expect(e.code).toBe('invalid-id');
      },
    );

    it('maps INVALID_ID_INFORMATION to invalid-id', async () => {
      h = await harness({
        responder: {
          psk: new TextEncoder().encode('x-wrong'),
          badMm5: 'notify-plain',
          badMm5Notify: NotifyType.INVALID_ID_INFORMATION,
        },
      });
      expect((await failure(h)).code).toBe('invalid-id');
    });
  });
});

describe('Main Mode under loss, duplication and garbage', () => {
  for (const stage of [0, 1, 2, 3, 4, 5]) {
    it(`recovers when message ${stage + 1} of 6 is lost twice`, async () => {
      h = await harness({ responder: { answerDuplicates: true } });
      let seen = 0;
      let dropped = 0;
      h.net.filter = (d) => {
        // Messages alternate client/server; count first transmissions by direction and order.
        const fromClient = d.from.address === CLIENT;
        const msgIndex = fromClient ? clientIndex(d.data) : serverIndex(d.data);
        if (msgIndex === stage && dropped < 2) {
          dropped++;
          return 'drop';
        }
        seen++;
        return 'deliver';
      };
      const r = await establish(h);
      expect(dropped).toBe(2);
      expect(seen).toBeGreaterThan(0);
      expect(r.retransmissions).toBeGreaterThan(0);
    });
  }

  it('survives every datagram being duplicated', async () => {
    h = await harness({ responder: { answerDuplicates: true } });
    h.net.filter = () => 'duplicate';
    await establish(h);
    expect(h.ikeSa.counters.ignored.duplicate + h.ikeSa.counters.answeredRetransmissions).toBeGreaterThan(0);
  });

  it('answers a server retransmission with its own last message (SoftEther-style timer retransmits)', async () => {
    h = await harness({ responder: { retransmitMs: 300 } });
    let drops = 0;
    h.net.filter = (d) =>
      d.from.address === CLIENT && clientIndex(d.data) === 2 && drops++ < 3 ? 'drop' : 'deliver';
    await establish(h);
    expect(h.ikeSa.counters.answeredRetransmissions).toBeGreaterThan(0);
  });

  it('ignores and counts garbage, foreign cookies and truncated packets', async () => {
    h = await harness();
    const ports = h.transport.localPorts;
    const inject = () => {
      const from = { address: SERVER, port: 500 };
      h!.net.inject(from, { address: CLIENT, port: ports.ike }, new Uint8Array([1, 2, 3]));
      h!.net.inject(from, { address: CLIENT, port: ports.ike }, new Uint8Array(40).fill(0x41));
      const foreign = new Uint8Array(28);
      foreign.set([9, 9, 9, 9, 9, 9, 9, 9], 0);
      foreign.set([0x01, 0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 28], 16);
      h!.net.inject(from, { address: CLIENT, port: ports.ike }, foreign);
      const ours = new Uint8Array(60);
      ours.set(h!.ikeSa.initiatorCookie, 0);
      ours.set([0x99], 8);
      ours.set([0x01, 0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 60], 16);
      h!.net.inject(from, { address: CLIENT, port: ports.ike }, ours);
      h!.net.inject({ address: '10.9.9.9', port: 500 }, { address: CLIENT, port: ports.ike }, ours);
    };
    const p = h.ikeSa.establish();
    inject();
    await h.clock.advance(1);
    inject();
    await h.clock.run(p);
    const c = h.ikeSa.counters.ignored;
    expect(c.garbage).toBeGreaterThanOrEqual(4);
    expect(c.foreign).toBeGreaterThanOrEqual(2);
    expect(h.transport.counters.droppedForeign).toBeGreaterThanOrEqual(2);
  });

  it('times out when the server never answers, within the request timeout', async () => {
    h = await harness({ responder: { ignore: new Set(['mm1']) } });
    const e = await failure(h);
    expect(e.code).toBe('timeout');
    expect(e.describe()).toBe(
      'IKE phase 1: no response from server to MM1 — check the address and that UDP 500/4500 are reachable',
    );
    expect(h.clock.now()).toBeLessThanOrEqual(15_001);
    // 0, 0.5, 1.5, 3.5, 7.5, 11.5 s: exponential backoff capped at 4 s.
    expect(clientIke(h).map((d) => d.port)).toHaveLength(6);
  });

  it('times out on MM3 when the server stops after MM2, and honours the overall deadline', async () => {
    h = await harness({ responder: { ignore: new Set(['mm3']) }, sa: { timeoutMs: 5000 } });
    const e = await failure(h);
    expect(e.code).toBe('timeout');
    expect(h.clock.now()).toBeLessThanOrEqual(5001);
  });

  it('reports malformed-reply when the only answers are undecodable', async () => {
    h = await harness({
      responder: { ignore: new Set(['mm1']) },
      sa: { retransmit: { requestTimeoutMs: 3000 } },
    });
    const p = h.ikeSa.establish();
    const bad = new Uint8Array(40);
    bad.set(h.ikeSa.initiatorCookie, 0);
    bad.set([1, 2, 3, 4, 5, 6, 7, 8], 8);
    bad.set([0x01, 0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0xff], 16);
    h.net.inject({ address: SERVER, port: 500 }, { address: CLIENT, port: h.transport.localPorts.ike }, bad);
    const caught = p.catch((e: unknown) => e);
    await h.clock.run(p).catch(() => {});
    expect(((await caught) as FerryError).code).toBe('malformed-reply');
  });

  it('leaves no timers behind after success or failure', async () => {
    h = await harness();
    await establish(h);
    h.close();
    // Only the NAT keepalive timer was left, and close() cancelled it.
    expect(h.clock.pendingTimers).toBe(0);
    h = null;
  });
});

/** 0 = MM1, 2 = MM3, 4 = MM5 by content (encrypted => MM5; KE => MM3). */
function clientIndex(d: Uint8Array): number {
  const body = d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0 ? d.subarray(4) : d;
  const h = decodeHeader(body);
  if (!h.ok) return -1;
  if (h.value.flags & 1) return 4;
  return h.value.responderCookie.every((x) => x === 0) ? 0 : 2;
}

function serverIndex(d: Uint8Array): number {
  const body = d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0 ? d.subarray(4) : d;
  const h = decodeHeader(body);
  if (!h.ok) return -1;
  if (h.value.flags & 1) return 5;
  const m = decodePlainMessage(body);
  if (!m.ok) return -1;
  return payloadsOfKind(m.value.payloads, 'sa').length ? 1 : 3;
}
