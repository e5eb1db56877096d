import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../../core/common/errors';
import { createLogger } from '../../../../core/common/log';
import type { EspTransform } from '../../../../core/esp/transforms';
import { EncapsulationMode, ExchangeType, IpsecAttr, NotifyType } from '../../../../core/ike/constants';
import { decodeHeader } from '../../../../core/ike/message';
import { attributeNumber, findAttribute } from '../../../../core/ike/payloads/attributes';
import { natOaAddressText } from '../../../../core/ike/payloads/natOa';
import {
  type QuickModeOptions,
  type QuickModeResult,
  runQuickMode,
} from '../../../../core/ike/tasks/quickMode';
import { CLIENT, SERVER } from '../support/harness';
import { type QuickHarness, quickHarness } from './support/setup';

const GCM256: EspTransform = { cipher: 'aes-gcm-16', keyBits: 256 };
const GCM128: EspTransform = { cipher: 'aes-gcm-16', keyBits: 128 };
const CBC256_SHA256: EspTransform = { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' };
const CBC256_SHA1: EspTransform = { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha1-96' };
const CBC128_SHA1: EspTransform = { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' };
/** SPEC §2 defaults, in the order a profile offers them. */
const DEFAULTS = [GCM256, GCM128, CBC256_SHA256, CBC256_SHA1, CBC128_SHA1];

let h: QuickHarness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

function options(x: QuickHarness, extra: Partial<QuickModeOptions> = {}): QuickModeOptions {
  return {
    ikeSa: x.ikeSa,
    transforms: DEFAULTS,
    localAddress: CLIENT,
    serverAddress: SERVER,
    clock: x.clock,
    logger: createLogger({ sinks: [x.ring.sink], now: () => x.clock.now() }),
    ...extra,
  };
}

async function quick(x: QuickHarness, extra: Partial<QuickModeOptions> = {}): Promise<QuickModeResult> {
  return x.clock.run(runQuickMode(options(x, extra)));
}

async function quickFailure(x: QuickHarness, extra: Partial<QuickModeOptions> = {}): Promise<FerryError> {
  const p = runQuickMode(options(x, extra));
  const caught = p.then(
    () => null,
    (e: unknown) => e,
  );
  await x.clock.run(p).catch(() => {});
  const e = await caught;
  expect(e).toBeInstanceOf(FerryError);
  return e as FerryError;
}

/** Client -> server L2TP-ish payload and back, through both SA pairs: proves both sides derived the same keys. */
async function espBothWays(x: QuickHarness, r: QuickModeResult, nextHeader = 17): Promise<void> {
  await x.clock.advance(10); // QM3 in flight
  const child = x.qr.children.at(-1)!;
  const payload = Uint8Array.from({ length: 40 }, (_, i) => i);
  const out = r.outbound.seal(payload, nextHeader);
  if (!out.ok) throw new Error(out.error);
  const opened = child.inbound.open(out.value.packet);
  expect(opened.ok && [...opened.value.payload]).toEqual([...payload]);
  const back = child.outbound.seal(payload.slice().reverse(), nextHeader);
  if (!back.ok) throw new Error(back.error);
  const got = r.inbound.open(back.value.packet);
  expect(got.ok && [...got.value.payload]).toEqual([...payload].reverse());
}

/** Datagrams of one exchange type that went from a to b. */
function ikeFrom(x: QuickHarness, from: string, type: number) {
  return x.net.log.filter((d) => {
    if (d.from.address !== from || d.data.length < 32 || d.data[0] !== 0 || d.data[3] !== 0) return false;
    const hd = decodeHeader(d.data.subarray(4));
    return hd.ok && hd.value.exchangeType === type;
  });
}

describe('Quick Mode initiator against the scripted responder', () => {
  it('negotiates AES-GCM in UDP-encapsulated transport mode; KEYMAT matches the noble oracle on both SAs', async () => {
    h = await quickHarness();
    const r = await quick(h);
    await h.clock.advance(10);
    expect(r.transform).toEqual(GCM256);
    expect(r.mode).toBe('transport');
    expect(r.encapsulationMode).toBe(EncapsulationMode.UDP_TRANSPORT_RFC);
    expect(r.lifetimeSeconds).toBe(3600);
    expect(r.pfsGroup).toBeNull();
    expect(r.attempts).toBe(1);
    expect(r.retransmissions).toBe(0);
    expect(r.outbound.spi).toBe(h.qr.children[0]!.spiR);
    expect(r.inbound.spi).toBe(h.qr.children[0]!.spiI);
    expect(r.inbound.spi).toBeGreaterThanOrEqual(256);
    expect(h.qr.events).toEqual(['qm1', 'qm3']);
    await espBothWays(h, r);
  });

  it('sends HASH(1), SA, Ni, IDci, IDcr (UDP/1701), NAT-OAi, NAT-OAr with the attributes servers require', async () => {
    h = await quickHarness();
    await quick(h, { lifetimeSeconds: 1800 });
    const qm1 = h.qr.qm1s[0]!;
    expect(qm1.payloads.map((e) => e.payload.kind)).toEqual(['sa', 'nonce', 'id', 'id', 'nat-oa', 'nat-oa']);
    const ids = qm1.payloads.filter((e) => e.payload.kind === 'id').map((e) => e.payload);
    expect(ids).toEqual([
      { kind: 'id', identity: { type: 'ipv4', address: CLIENT }, protocol: 17, port: 1701 },
      { kind: 'id', identity: { type: 'ipv4', address: SERVER }, protocol: 17, port: 1701 },
    ]);
    const oas = qm1.payloads.flatMap((e) => (e.payload.kind === 'nat-oa' ? [e.payload] : []));
    expect(oas.map(natOaAddressText)).toEqual([CLIENT, SERVER]);
    expect(oas.every((o) => !o.draft)).toBe(true);
    const sa = qm1.payloads[0]!.payload;
    if (sa.kind !== 'sa') throw new Error('no SA');
    expect(sa.proposals).toHaveLength(1);
    const prop = sa.proposals[0]!;
    expect(prop.protocol).toBe(3);
    expect(prop.spi).toHaveLength(4);
    expect(prop.transforms.map((t) => t.id)).toEqual([20, 20, 12, 12, 12]);
    for (const t of prop.transforms) {
      const num = (type: number) => {
        const a = findAttribute(t.attributes, type);
        return a && attributeNumber(a);
      };
      expect(num(IpsecAttr.SA_LIFE_TYPE)).toBe(1);
      expect(num(IpsecAttr.SA_LIFE_DURATION)).toBe(1800);
      expect(num(IpsecAttr.ENCAPSULATION_MODE)).toBe(4);
      expect(num(IpsecAttr.KEY_LENGTH)).toBeGreaterThanOrEqual(128);
      expect(num(IpsecAttr.GROUP_DESCRIPTION)).toBeUndefined();
      expect(num(IpsecAttr.AUTH_ALGORITHM)).toBe(t.id === 20 ? undefined : t === prop.transforms[2] ? 5 : 2);
    }
  });

  it('negotiates AES-CBC with HMAC-SHA1 when that is all the server takes (SoftEther)', async () => {
    h = await quickHarness({
      qr: { accept: (t) => t.cipher === 'aes-cbc' && t.integrity === 'hmac-sha1-96' },
    });
    const r = await quick(h);
    expect(r.transform).toEqual(CBC256_SHA1);
    await espBothWays(h, r);
  });

  for (const group of ['modp2048', 'ecp256'] as const) {
    it(`does PFS with ${group}: KE both ways, group attribute, g(qm)^xy in KEYMAT`, async () => {
      h = await quickHarness();
      const r = await quick(h, { pfsGroup: group, transforms: [CBC256_SHA256] });
      expect(r.pfsGroup).toBe(group);
      const qm1 = h.qr.qm1s[0]!;
      expect(qm1.payloads.map((e) => e.payload.kind)).toEqual([
        'sa',
        'nonce',
        'ke',
        'id',
        'id',
        'nat-oa',
        'nat-oa',
      ]);
      const sa = qm1.payloads[0]!.payload;
      if (sa.kind !== 'sa') throw new Error('no SA');
      const g = findAttribute(sa.proposals[0]!.transforms[0]!.attributes, IpsecAttr.GROUP_DESCRIPTION);
      expect(g && attributeNumber(g)).toBe(group === 'modp2048' ? 14 : 19);
      await espBothWays(h, r);
    });
  }

  it('uses the draft encapsulation mode and NAT-OA type when phase 1 spoke a NAT-T draft', async () => {
    h = await quickHarness({ responder: { nattVendorIds: ['draft-02'] } });
    const r = await quick(h);
    expect(r.encapsulationMode).toBe(EncapsulationMode.UDP_TRANSPORT_DRAFT);
    const oas = h.qr.qm1s[0]!.payloads.filter((e) => e.payload.kind === 'nat-oa');
    expect(oas.every((e) => e.payload.kind === 'nat-oa' && e.payload.draft)).toBe(true);
    await espBothWays(h, r);
  });

  it('recovers a lost QM2 by retransmitting QM1 (strongSwan answers the duplicate)', async () => {
    h = await quickHarness({ qr: { answerDuplicateQm1: true } });
    let dropped = 0;
    h.qr.filter = (d) =>
      d.from.address === SERVER && d.data.length > 40 && dropped++ === 0 ? 'drop' : 'deliver';
    const r = await quick(h);
    expect(r.retransmissions).toBeGreaterThanOrEqual(1);
    expect(h.qr.events).toContain('duplicate-qm1');
    await espBothWays(h, r);
  });

  it('recovers a lost QM2 from the server retransmitting it (SoftEther ignores a repeated QM1)', async () => {
    h = await quickHarness({ qr: { retransmitQm2Ms: 2000 } });
    let dropped = 0;
    h.qr.filter = (d) =>
      d.from.address === SERVER && d.data.length > 40 && dropped++ === 0 ? 'drop' : 'deliver';
    const r = await quick(h);
    await h.clock.advance(10);
    expect(h.qr.events).toContain('retransmit-qm2');
    expect(h.qr.events.at(-1)).toBe('qm3');
    await espBothWays(h, r);
  });

  it('answers a duplicated QM2 with the same QM3 again', async () => {
    h = await quickHarness();
    h.qr.filter = (d) =>
      d.from.address === SERVER && ikeTypeOf(d.data) === ExchangeType.QUICK_MODE ? 'duplicate' : 'deliver';
    const r = await quick(h);
    await h.clock.advance(10);
    const qm3s = ikeFrom(h, CLIENT, ExchangeType.QUICK_MODE).slice(1);
    expect(qm3s).toHaveLength(2);
    expect(Buffer.compare(qm3s[0]!.data, qm3s[1]!.data)).toBe(0);
    expect(h.qr.events).toEqual(['qm1', 'qm3', 'duplicate-qm3']);
    await espBothWays(h, r);
  });

  it('resends QM3 when it was lost and the server repeats QM2', async () => {
    h = await quickHarness({ qr: { retransmitQm2Ms: 1000 } });
    let qm3Dropped = 0;
    h.qr.filter = (d) => {
      const client = ikeFrom(h!, CLIENT, ExchangeType.QUICK_MODE).length;
      return d.from.address === CLIENT && client === 2 && qm3Dropped++ === 0 ? 'drop' : 'deliver';
    };
    await quick(h);
    await h.clock.advance(1500);
    expect(h.qr.events).toEqual(['qm1', 'retransmit-qm2', 'qm3']);
  });

  it('fails with auth-failed when HASH(2) does not verify', async () => {
    h = await quickHarness({ qr: { badHash2: true, answerDuplicateQm1: true } });
    const e = await quickFailure(h, { tunnelFallback: false });
    expect(e).toMatchObject({ phase: 'quick-mode', code: 'auth-failed' });
    expect(h.qr.children).toHaveLength(0);
  });

  it('reports a single bad HASH(2) copy as auth-failed at the deadline when nothing better came', async () => {
    h = await quickHarness({ qr: { badHash2: true } });
    const t0 = h.clock.now();
    const e = await quickFailure(h, { timeoutMs: 8000 });
    expect(e).toMatchObject({ phase: 'quick-mode', code: 'auth-failed' });
    expect(h.clock.now() - t0).toBeLessThanOrEqual(8001);
  });

  it('maps NO_PROPOSAL_CHOSEN to no-proposal-chosen after one tunnel-mode retry, with a hint', async () => {
    h = await quickHarness({ qr: { accept: () => false } });
    const e = await quickFailure(h);
    expect(e).toMatchObject({ phase: 'quick-mode', code: 'no-proposal-chosen' });
    expect(e.hint).toMatch(/phase-2/);
    expect(e.hint).toMatch(/legacy/);
    expect(e.message).toMatch(/tunnel mode too/);
    const modes = h.qr.events.filter((x) => x === 'no-proposal-chosen');
    expect(modes).toHaveLength(2);
  });

  it('falls back to UDP-encapsulated tunnel mode with host IDs when transport mode is refused', async () => {
    h = await quickHarness({ qr: { accept: (_t, mode) => mode === EncapsulationMode.UDP_TUNNEL_RFC } });
    const r = await quick(h);
    expect(r.mode).toBe('tunnel');
    expect(r.attempts).toBe(2);
    expect(r.encapsulationMode).toBe(3);
    const qm1 = h.qr.qm1s.at(-1)!;
    expect(qm1.payloads.map((e) => e.payload.kind)).toEqual(['sa', 'nonce', 'id', 'id']);
    expect(qm1.payloads[2]!.payload).toMatchObject({ protocol: 0, port: 0, identity: { address: CLIENT } });
    await espBothWays(h, r, 4);
    // Transport-mode inbound SAs refuse IPv4-in-ESP and vice versa.
    const child = h.qr.children[0]!;
    const udp = child.outbound.seal(new Uint8Array(12), 17);
    expect(udp.ok && r.inbound.open(udp.value.packet)).toMatchObject({ ok: false, error: 'bad-next-header' });
  });

  it('does not fall back when the profile asks for no fallback', async () => {
    h = await quickHarness({ qr: { accept: () => false } });
    const e = await quickFailure(h, { tunnelFallback: false });
    expect(e.code).toBe('no-proposal-chosen');
    expect(h.qr.qm1s).toHaveLength(1);
    expect(h.qr.events).toEqual(['qm1', 'no-proposal-chosen']);
  });

  it('maps INVALID_ID_INFORMATION to invalid-id', async () => {
    h = await quickHarness({ qr: { accept: () => false, refuseWith: NotifyType.INVALID_ID_INFORMATION } });
    const e = await quickFailure(h, { tunnelFallback: false });
    expect(e).toMatchObject({ phase: 'quick-mode', code: 'invalid-id' });
  });

  it('times out with a typed error naming quick mode when the server never answers', async () => {
    h = await quickHarness({ qr: { silent: true } });
    const t0 = h.clock.now();
    const e = await quickFailure(h, { timeoutMs: 6000, tunnelFallback: false });
    expect(e).toMatchObject({ phase: 'quick-mode', code: 'timeout' });
    expect(e.describe()).toMatch(/^IKE quick mode: /);
    expect(h.clock.now() - t0).toBeLessThanOrEqual(6001);
    // QM1 was retransmitted, identically.
    const qm1s = ikeFrom(h, CLIENT, ExchangeType.QUICK_MODE);
    expect(qm1s.length).toBeGreaterThan(2);
    expect(new Set(qm1s.map((d) => Buffer.from(d.data).toString('hex'))).size).toBe(1);
  });

  it('takes the shorter lifetime from the SA or a RESPONDER-LIFETIME notify', async () => {
    h = await quickHarness({ qr: { lifetimeSeconds: 1200 } });
    expect((await quick(h)).lifetimeSeconds).toBe(1200);
    h.close();
    h = await quickHarness({ qr: { responderLifetime: 600 } });
    expect((await quick(h)).lifetimeSeconds).toBe(600);
    h.close();
    h = await quickHarness({ qr: { lifetimeSeconds: 7200 } });
    expect((await quick(h)).lifetimeSeconds).toBe(3600);
  });

  it('accepts a QM2 without IDs, refuses one with different IDs', async () => {
    h = await quickHarness({ qr: { ids: 'omit' } });
    await espBothWays(h, await quick(h));
    h.close();
    h = await quickHarness({ qr: { ids: 'swap' } });
    const e = await quickFailure(h);
    expect(e).toMatchObject({ code: 'malformed-reply' });
    expect(e.message).toMatch(/identities/);
  });

  it('refuses a transform it did not offer, a reserved SPI and a missing nonce', async () => {
    const cases: [
      string,
      (p: import('../../../../core/ike/message').OutgoingPayload[]) => typeof p,
      RegExp,
    ][] = [
      [
        'transform',
        (p) =>
          p.map((x) =>
            x.kind === 'sa'
              ? {
                  ...x,
                  proposals: x.proposals.map((q) => ({
                    ...q,
                    transforms: q.transforms.map((t) => ({ ...t, id: 3 })),
                  })),
                }
              : x,
          ),
        /did not offer/,
      ],
      [
        'spi',
        (p) =>
          p.map((x) =>
            x.kind === 'sa'
              ? { ...x, proposals: x.proposals.map((q) => ({ ...q, spi: Uint8Array.of(0, 0, 0, 9) })) }
              : x,
          ),
        /reserved SPI/,
      ],
      ['nonce', (p) => p.filter((x) => x.kind !== 'nonce'), /nonce/],
      ['ke', (p) => [...p, { kind: 'ke', data: new Uint8Array(256) }], /KE/],
    ];
    for (const [name, tamper, re] of cases) {
      h = await quickHarness({ qr: { tamper } });
      const e = await quickFailure(h);
      expect(e.code, name).toBe('malformed-reply');
      expect(e.message, name).toMatch(re);
      h.close();
      h = null;
    }
  });

  it('is not ended by an error notify about another SA, but is by one naming our SPI', async () => {
    for (const aboutUs of [false, true]) {
      h = await quickHarness({ qr: { retransmitQm2Ms: 500 } });
      const x = h;
      let first = true;
      x.qr.filter = (d) => {
        if (d.from.address === SERVER && first && ikeTypeOf(d.data) === ExchangeType.QUICK_MODE) {
          first = false;
          const sa = x.qr.qm1s[0]!.payloads[0]!.payload;
          const spi = aboutUs && sa.kind === 'sa' ? sa.proposals[0]!.spi : Uint8Array.of(0, 0, 0x99, 0x99);
          x.qr.sendInformational([x.qr.notify(NotifyType.INVALID_SPI, 3, spi)]);
          return 'drop';
        }
        return 'deliver';
      };
      if (aboutUs) {
        const e = await quickFailure(x);
        expect(e).toMatchObject({ phase: 'quick-mode', code: 'server-error' });
        expect(e.message).toMatch(/INVALID_SPI/);
      } else {
        await espBothWays(x, await quick(x));
      }
      x.close();
      h = null;
    }
  });

  it('ignores a server R-U-THERE during quick mode (left to the informational handler)', async () => {
    h = await quickHarness({ qr: { retransmitQm2Ms: 500 } });
    let first = true;
    h.qr.filter = (d) => {
      if (d.from.address === SERVER && first && ikeTypeOf(d.data) === ExchangeType.QUICK_MODE) {
        first = false;
        h!.qr.sendRuThere(42);
        return 'drop';
      }
      return 'deliver';
    };
    const r = await quick(h);
    await espBothWays(h, r);
    expect(h.ikeSa.counters.ignored.unexpected).toBeGreaterThan(0);
  });
});

function ikeTypeOf(d: Uint8Array): number | null {
  if (d.length < 32 || d[0] !== 0 || d[1] !== 0 || d[2] !== 0 || d[3] !== 0) return null;
  const hd = decodeHeader(d.subarray(4));
  return hd.ok ? hd.value.exchangeType : null;
}
