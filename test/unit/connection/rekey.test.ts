/**
 * Rekeying on the fake network, deterministic on a FakeClock (SPEC §1.7, §2): phase 2 before it expires and when
 * sequence numbers run out, phase 1 with a new Main Mode, the server rekeying first (its Quick Mode answered),
 * make-before-break (the old inbound SA receives during the overlap, then it is deleted), and the failures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { L2tpCarrier } from '../../../core/connection/carrier';
import { ProtocolId } from '../../../core/ike/constants';
import { decodeHeader } from '../../../core/ike/message';
import { spiBytes } from '../../../core/ike/quick/espProposals';
import { hex, profile, stats, udp1701, up, type World, world } from './support/ipsecWorld';

const L2TP = Uint8Array.of(0xc8, 0x02, 0x00, 0x0c, 0x12, 0x34, 0x00, 0x00, 0, 1, 0, 1);

let w: World | null = null;
const open: L2tpCarrier[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await w?.clock.run(c.close());
  w?.close();
  w = null;
});

async function carrier(x: World, extra: Parameters<typeof up>[1] = {}): Promise<L2tpCarrier> {
  const c = await up(x, extra);
  open.push(c);
  return c;
}

/** Sends one datagram each way; true when both arrived. */
async function roundTrip(x: World, c: L2tpCarrier, got: Uint8Array[]): Promise<boolean> {
  const inBefore = x.qr.espIn.length;
  const gotBefore = got.length;
  c.send(L2TP);
  x.qr.sendEsp(udp1701(L2TP));
  await x.clock.advance(5);
  return x.qr.espIn.length === inBefore + 1 && got.length === gotBefore + 1;
}

const isQuickMode = (d: Uint8Array) => {
  if (d.length < 32 || d[0] !== 0 || d[1] !== 0 || d[2] !== 0 || d[3] !== 0) return false;
  const h = decodeHeader(d.subarray(4));
  return h.ok && h.value.exchangeType === 32;
};

describe('phase-2 rekey', () => {
  it('starts at 85-90 % of the lifetime; the new pair sends at once, the old one receives until the overlap ends', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, { lifetimes: { phase2Seconds: 200 } });
    const got: Uint8Array[] = [];
    c.onDatagram((d) => got.push(d.slice()));
    expect(await roundTrip(x, c, got)).toBe(true);
    const first = x.qr.children[0]!;
    await x.clock.advance(169_000);
    expect(x.qr.qm1s).toHaveLength(1);
    await x.clock.advance(11_000);
    expect(x.qr.qm1s).toHaveLength(2);
    const second = x.qr.children[1]!;
    expect(stats(c).esp.inboundSpi).toBe(hex(second.spiI));
    expect(stats(c).rekey.childRekeys).toBe(1);
    // Outbound moved to the new SA at once.
    c.send(L2TP);
    await x.clock.advance(5);
    expect(second.inbound.stats().packets).toBe(1);
    // Make-before-break: the server still sends on the old SA for a while; it is accepted.
    x.qr.sendEsp(udp1701(L2TP), 17, first);
    await x.clock.advance(5);
    expect(got.length).toBe(2);
    expect(stats(c).rekey.retiringChildren).toEqual([hex(first.spiI)]);
    // After the overlap: DELETE for the old pair, and its inbound SA is gone.
    await x.clock.advance(10_000);
    const del = x.qr.deletes.find((d) => d.protocol === ProtocolId.ESP);
    expect(del?.spis.map((s) => Buffer.from(s).toString('hex'))).toEqual([hex(first.spiI), hex(first.spiR)]);
    expect(stats(c).rekey.retiringChildren).toEqual([]);
    expect(stats(c).rekey.childrenRetired).toBe(1);
    expect(await roundTrip(x, c, got)).toBe(true);
    expect(x.failures).toEqual([]);
  });

  it('keeps rekeying: three rekeys in 400 s of a 120 s lifetime, traffic flowing after each', async () => {
    w = world({ seed: 5 });
    const x = w;
    const c = await carrier(x, { lifetimes: { phase2Seconds: 120 } });
    const got: Uint8Array[] = [];
    c.onDatagram((d) => got.push(d.slice()));
    const at: number[] = [];
    for (let t = 0; t < 400; t += 10) {
      await x.clock.advance(10_000);
      if (stats(c).rekey.childRekeys > at.length) at.push(Math.round(x.clock.now() / 1000));
      expect(await roundTrip(x, c, got)).toBe(true);
    }
    expect(stats(c).rekey.childRekeys).toBeGreaterThanOrEqual(3);
    // Each rekey 102..108 s after the previous SA was installed (85-90 % of 120 s), sampled every 10 s.
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(100);
    expect(x.failures).toEqual([]);
  });

  it('is triggered by the outbound sequence number nearing its limit, well before the lifetime', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, { espLimits: { softPackets: 20, hardPackets: 40 } });
    for (let i = 0; i < 25; i++) c.send(L2TP);
    await x.clock.advance(50);
    expect(x.qr.qm1s).toHaveLength(2);
    expect(stats(c).rekey.childRekeys).toBe(1);
    for (let i = 0; i < 30; i++) c.send(L2TP);
    await x.clock.advance(50);
    expect(x.qr.children[1]!.inbound.stats().packets).toBe(30);
    expect(x.failures).toEqual([]);
  });

  it('fails with sa-expired when the sequence numbers run out and the rekey cannot complete', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, { espLimits: { softPackets: 20, hardPackets: 40 }, quickModeTimeoutMs: 3000 });
    x.qr.filter = (d) => (isQuickMode(d.data) ? 'drop' : 'deliver');
    for (let i = 0; i < 45; i++) c.send(L2TP);
    await x.clock.advance(10_000);
    const s = c.stats() as { esp: { counters: { sealRefused: Record<string, number> } } };
    expect(s.esp.counters.sealRefused['sequence-exhausted']).toBe(5);
    expect(x.failures.map((e) => [e.phase, e.code])).toEqual([['established', 'sa-expired']]);
  });

  it('retries a failed rekey and fails with sa-expired only at the hard lifetime', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, { lifetimes: { phase2Seconds: 150 }, quickModeTimeoutMs: 4000 });
    x.qr.filter = (d) => (isQuickMode(d.data) ? 'drop' : 'deliver');
    await x.clock.advance(149_000);
    expect(x.failures).toEqual([]);
    expect(stats(c).rekey.childRekeyFailures).toBeGreaterThanOrEqual(2);
    await x.clock.advance(2000);
    expect(x.failures.map((e) => [e.phase, e.code])).toEqual([['established', 'sa-expired']]);
  });

  it('takes a DELETE of the old pair from the server in stride; a DELETE of the current pair ends the session', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, { lifetimes: { phase2Seconds: 120 } });
    await x.clock.advance(110_000);
    const [first, second] = x.qr.children;
    expect(second).toBeDefined();
    x.qr.sendDelete(ProtocolId.ESP, [spiBytes(first!.spiR)]);
    await x.clock.advance(5);
    expect(stats(c).rekey.retiringChildren).toEqual([]);
    expect(x.failures).toEqual([]);
    x.qr.sendDelete(ProtocolId.ESP, [spiBytes(second!.spiR)]);
    await x.clock.advance(5);
    expect(x.failures.map((e) => e.code)).toEqual(['peer-deleted']);
  });
});

describe('the server rekeys phase 2 first', () => {
  it('answers its Quick Mode and switches to the new pair; both directions use it', async () => {
    w = world();
    const x = w;
    const c = await carrier(x);
    const got: Uint8Array[] = [];
    c.onDatagram((d) => got.push(d.slice()));
    x.qr.initiateRekey({ lifetimeSeconds: 900 });
    await x.clock.advance(20);
    expect(x.qr.events).toContain('server-qm3');
    const fresh = x.qr.children[1]!;
    expect(stats(c).esp.outboundSpi).toBe(hex(fresh.spiR));
    expect(stats(c).rekey.childRekeysByServer).toBe(1);
    expect(await roundTrip(x, c, got)).toBe(true);
    expect(fresh.inbound.stats().packets).toBe(1);
    expect(x.failures).toEqual([]);
  });

  it('refuses a transform the profile does not allow (NO_PROPOSAL_CHOSEN) and ignores a QM1 that does not authenticate', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, {
      profile: profile({ algorithms: { phase2: ['aes256gcm16'], onlyTheseProposals: true } }),
    });
    x.qr.initiateRekey({ transform: { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' } });
    await x.clock.advance(20);
    expect(x.qr.events).toContain('notify-14');
    x.qr.initiateRekey({ corruptHash: true });
    await x.clock.advance(20);
    expect(x.qr.children).toHaveLength(1);
    const s = c.stats() as {
      rekey: { ikeSas: { quickModeResponder: { refused: number; rejected: number } }[] };
    };
    expect(s.rekey.ikeSas[0]!.quickModeResponder).toMatchObject({ refused: 1, rejected: 1 });
    expect(x.failures).toEqual([]);
  });
});
