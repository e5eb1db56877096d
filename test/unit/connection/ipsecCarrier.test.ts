/**
 * The IPsec carrier end to end on the fake network: phase 1 against the ScriptedResponder, Quick Mode and
 * informationals against the QuickResponder, L2TP datagrams through ESP both ways, failure, abort and close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes } from '../../../core/common/bytes';
import type { ConnectPhase, FerryError } from '../../../core/common/errors';
import { createLogger, formatLogEntry, RingBufferSink } from '../../../core/common/log';
import type { CarrierContext, L2tpCarrier } from '../../../core/connection/carrier';
import { type IpsecCarrierOptions, ipsecCarrier } from '../../../core/connection/ipsecCarrier';
import { ProtocolId } from '../../../core/ike/constants';
import { spiBytes } from '../../../core/ike/quick/espProposals';
import { decodeIpv4Header, decodeUdpHeader, encodeIpv4, writeUdpHeader } from '../../../core/net/ipv4';
import type { DatagramSocketFactory } from '../../../core/net/udp';
import { type Profile, parseProfile } from '../../../core/profile/schema';
import { FakeClock } from '../../support/deterministic';
import { QuickResponder, type QuickResponderOptions } from '../ike/quick/support/quickResponder';
import { FakeNetwork } from '../ike/support/fakeNetwork';
import { CLIENT, PSK, SERVER, seededRandom } from '../ike/support/harness';
import { type ResponderOptions, ScriptedResponder } from '../ike/support/responder';

const PSK_TEXT = new TextDecoder().decode(PSK);

function profile(extra: Record<string, unknown> = {}): Profile {
  const r = parseProfile({
    id: 'unit',
    name: 'unit',
    server: SERVER,
    userAuth: { username: 'alice', methods: ['mschapv2'] },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

interface World {
  readonly clock: FakeClock;
  readonly net: FakeNetwork;
  readonly responder: ScriptedResponder;
  readonly qr: QuickResponder;
  readonly ring: RingBufferSink;
  readonly phases: string[];
  readonly abort: AbortController;
  readonly ctx: CarrierContext;
  close(): void;
}

let w: World | null = null;
const carriers: L2tpCarrier[] = [];
afterEach(async () => {
  for (const c of carriers.splice(0)) await w?.clock.run(c.close());
  w?.close();
  w = null;
});

function world(opts: { responder?: Partial<ResponderOptions>; qr?: QuickResponderOptions } = {}): World {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  const responder = new ScriptedResponder(net, clock, { psk: PSK, address: SERVER, ...opts.responder });
  const qr = new QuickResponder(net, clock, responder, SERVER, opts.qr);
  const ring = new RingBufferSink();
  const logger = createLogger({ sinks: [ring.sink], now: () => clock.now() });
  const phases: string[] = [];
  const abort = new AbortController();
  const ctx: CarrierContext = {
    clock,
    random: seededRandom(21),
    logger,
    signal: abort.signal,
    phase: (p: ConnectPhase, e, d) => phases.push(`${p}:${e}${d ? ` ${d}` : ''}`),
  };
  return {
    clock,
    net,
    responder,
    qr,
    ring,
    phases,
    abort,
    ctx,
    close: () => {
      qr.close();
      responder.close();
    },
  };
}

function options(x: World, extra: Partial<IpsecCarrierOptions> = {}): IpsecCarrierOptions {
  return {
    profile: profile(),
    psk: PSK_TEXT,
    sockets: x.net.factory(CLIENT),
    localAddress: async () => CLIENT,
    ...extra,
  };
}

async function up(x: World, extra: Partial<IpsecCarrierOptions> = {}): Promise<L2tpCarrier> {
  const c = await x.clock.run(ipsecCarrier(options(x, extra))(x.ctx));
  carriers.push(c);
  await x.clock.advance(10); // QM3 in flight
  return c;
}

async function failure(
  x: World,
  extra: Partial<IpsecCarrierOptions> = {},
  during?: () => void,
): Promise<FerryError> {
  const p = ipsecCarrier(options(x, extra))(x.ctx);
  const caught = p.then(
    (c) => {
      carriers.push(c);
      return null;
    },
    (e: unknown) => e as FerryError,
  );
  during?.();
  await x.clock.run(p).catch(() => {});
  const e = await caught;
  if (!e) throw new Error('carrier came up');
  return e;
}

const L2TP_HELLO = Uint8Array.of(
  0xc8,
  0x02,
  0x00,
  0x14,
  0x12,
  0x34,
  0x00,
  0x00,
  0,
  1,
  0,
  1,
  0x80,
  0x08,
  0,
  0,
  0,
  0,
  0,
  6,
);

function udp1701(payload: Uint8Array, sourcePort = 1701): Uint8Array {
  const d = new Uint8Array(8 + payload.length);
  writeUdpHeader(d, 0, sourcePort, 1701, d.length);
  d.set(payload, 8);
  return d;
}

describe('the IPsec carrier on the fake network', () => {
  it('comes up through phase 1 and quick mode, reporting phases and the negotiated algorithms', async () => {
    w = world({ qr: { accept: (t) => t.cipher === 'aes-gcm-16' } });
    const c = await up(w);
    expect(w.phases).toEqual([
      'ike-phase1:begin',
      'ike-phase1:ok aes256-sha256-modp2048',
      'quick-mode:begin',
      'quick-mode:ok aes256gcm16',
    ]);
    expect(c.algorithms).toEqual({
      ike: 'aes256-sha256-modp2048',
      esp: 'aes256gcm16',
      natT: 'rfc3947 (forced)',
      legacy: false,
    });
  });

  it('carries L2TP datagrams both ways as UDP 1701 in ESP transport mode', async () => {
    w = world();
    const c = await up(w);
    const got: Uint8Array[] = [];
    c.onDatagram((d) => got.push(d.slice()));
    c.send(L2TP_HELLO);
    await w.clock.advance(5);
    const inner = w.qr.espIn.at(-1)!;
    expect(inner.nextHeader).toBe(17);
    const u = decodeUdpHeader(inner.payload);
    expect(u.ok && u.value).toEqual({
      sourcePort: 1701,
      destinationPort: 1701,
      length: 8 + L2TP_HELLO.length,
    });
    expect([...inner.payload.subarray(6, 8)]).toEqual([0, 0]); // checksum 0
    expect([...inner.payload.subarray(8)]).toEqual([...L2TP_HELLO]);
    w.qr.sendEsp(udp1701(L2TP_HELLO.slice().reverse()));
    await w.clock.advance(5);
    expect(got.map((d) => [...d])).toEqual([[...L2TP_HELLO].reverse()]);
    const stats = c.stats() as { esp: { counters: { datagramsIn: number; datagramsOut: number } } };
    expect(stats.esp.counters).toMatchObject({ datagramsIn: 1, datagramsOut: 1 });
  });

  it('drops inner datagrams from a port other than 1701 and ESP that does not authenticate', async () => {
    w = world();
    const c = await up(w);
    const got: Uint8Array[] = [];
    c.onDatagram((d) => got.push(d));
    w.qr.sendEsp(udp1701(L2TP_HELLO, 1702));
    w.qr.sendEsp(Uint8Array.of(1, 2, 3)); // shorter than a UDP header
    await w.clock.advance(5);
    const last = w.net.log.at(-1)!.data.slice();
    last[last.length - 1]! ^= 1;
    w.net.inject({ address: SERVER, port: 4500 }, w.net.log.at(-1)!.to, last);
    await w.clock.advance(5);
    expect(got).toEqual([]);
    const s = c.stats() as {
      esp: { counters: { innerDropped: Record<string, number>; espDropped: number } };
    };
    expect(s.esp.counters.innerDropped).toMatchObject({ 'wrong-port': 1, 'bad-udp': 1 });
    expect(s.esp.counters.espDropped).toBe(1);
  });

  it('wraps L2TP in an IPv4 header (next header 4) after the tunnel-mode fallback', async () => {
    w = world({ qr: { accept: (_t, mode) => mode === 3 } });
    const c = await up(w);
    expect(c.algorithms.esp).toBe('aes256gcm16 (tunnel mode)');
    const got: Uint8Array[] = [];
    c.onDatagram((d) => got.push(d.slice()));
    c.send(L2TP_HELLO);
    await w.clock.advance(5);
    const inner = w.qr.espIn.at(-1)!;
    expect(inner.nextHeader).toBe(4);
    const ip = decodeIpv4Header(inner.payload);
    expect(ip.ok && ip.value).toMatchObject({ source: CLIENT, destination: SERVER, protocol: 17 });
    expect([...inner.payload.subarray(28)]).toEqual([...L2TP_HELLO]);
    w.qr.sendEsp(encodeIpv4({ source: SERVER, destination: CLIENT, protocol: 17 }, udp1701(L2TP_HELLO)), 4);
    await w.clock.advance(5);
    expect(got.map((d) => [...d])).toEqual([[...L2TP_HELLO]]);
  });

  it("answers the server's R-U-THERE and reports DPD counters", async () => {
    w = world();
    const c = await up(w, { dpd: false });
    w.qr.sendRuThere(9);
    await w.clock.advance(5);
    expect(w.qr.dpdAcks).toEqual([9]);
    expect((c.stats() as { informational: { dpdAcksSent: number } }).informational.dpdAcksSent).toBe(1);
  });

  it('fails with peer-deleted when the server deletes the ESP SA, also before onFailure is registered', async () => {
    w = world();
    const c = await up(w);
    const s = c.stats() as { esp: { outboundSpi: string } };
    w.qr.sendDelete(ProtocolId.ESP, [spiBytes(Number.parseInt(s.esp.outboundSpi, 16))]);
    await w.clock.advance(5);
    const errors: FerryError[] = [];
    c.onFailure((e) => errors.push(e));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ phase: 'established', code: 'peer-deleted' });
  });

  it('fails with dead-peer when the server stops answering DPD, about 35 s after the last sign of life', async () => {
    w = world({ qr: { answerDpd: false } });
    const c = await up(w);
    const errors: FerryError[] = [];
    c.onFailure((e) => errors.push(e));
    const t0 = w.clock.now();
    while (!errors.length && w.clock.now() - t0 < 60_000) await w.clock.advance(1000);
    expect(errors[0]).toMatchObject({ phase: 'established', code: 'dead-peer' });
    expect(w.clock.now() - t0).toBeGreaterThanOrEqual(34_000);
    expect(w.clock.now() - t0).toBeLessThanOrEqual(37_000);
  });

  it('fails with socket-error after repeated socket errors', async () => {
    w = world();
    const handlers: ((e: Error) => void)[] = [];
    const inner = w.net.factory(CLIENT);
    const sockets: DatagramSocketFactory = {
      open: async (o) => {
        const s = await inner.open(o);
        return {
          local: s.local,
          send: (d, to) => s.send(d, to),
          onMessage: (h) => s.onMessage(h),
          onError: (h) => handlers.push(h),
          close: () => s.close(),
        };
      },
    };
    const c = await up(w, { sockets });
    const errors: FerryError[] = [];
    c.onFailure((e) => errors.push(e));
    for (let i = 0; i < 4; i++) for (const h of handlers) h(new Error('ENETUNREACH'));
    expect(errors[0]).toMatchObject({ phase: 'established', code: 'socket-error' });
    expect(errors).toHaveLength(1);
  });

  it('close() sends DELETE for the ESP SA (both SPIs) then the IKE SA, closes the sockets and never rejects', async () => {
    w = world();
    const c = carriersPop(await up(w));
    const s = c.stats() as { esp: { inboundSpi: string; outboundSpi: string } };
    expect(w.net.openSockets).toBe(4);
    const closing = c.close();
    expect(c.close()).toBe(closing);
    await w.clock.run(closing);
    expect(w.qr.deletes.map((d) => d.protocol)).toEqual([ProtocolId.ESP, ProtocolId.ISAKMP]);
    expect(w.qr.deletes[0]!.spis.map((x) => Buffer.from(x).toString('hex'))).toEqual([
      s.esp.inboundSpi,
      s.esp.outboundSpi,
    ]);
    expect(w.net.openSockets).toBe(2); // the responder's 500 and 4500
    await w.clock.run(c.close());
  });

  it('aborting during phase 1 stops at once and closes the sockets', async () => {
    w = world({ responder: { ignore: new Set(['mm3']) } });
    const x = w;
    const e = await failure(x, {}, () => x.clock.setTimeout(() => x.abort.abort(), 1500));
    expect(e).toMatchObject({ phase: 'ike-phase1', code: 'cancelled' });
    expect(x.clock.now()).toBeLessThan(1600);
    expect(x.net.openSockets).toBe(2);
    expect(x.phases).toEqual(['ike-phase1:begin', 'ike-phase1:failed cancelled']);
  });

  it('aborting during quick mode stops at once and closes the sockets', async () => {
    w = world({ qr: { silent: true } });
    const x = w;
    let t = 0;
    const e = await failure(x, {}, () => {
      const check = () => {
        if (x.phases.includes('quick-mode:begin')) {
          t = x.clock.now();
          x.clock.setTimeout(() => x.abort.abort(), 700);
        } else x.clock.setTimeout(check, 5);
      };
      check();
    });
    expect(e).toMatchObject({ phase: 'quick-mode', code: 'cancelled' });
    expect(x.clock.now() - t).toBeLessThan(800);
    expect(x.net.openSockets).toBe(2);
  });

  it('rejects with typed errors naming the phase: wrong PSK, no ESP proposal, unresolvable name', async () => {
    w = world({ responder: { retransmitMs: 2000 } });
    const bad = await failure(w, { psk: 'not-the-psk' });
    expect(bad).toMatchObject({ phase: 'ike-phase1', code: 'auth-failed' });
    expect(w.net.openSockets).toBe(2);
    w.close();
    w = world({ qr: { accept: () => false } });
    const none = await failure(w);
    expect(none).toMatchObject({ phase: 'quick-mode', code: 'no-proposal-chosen' });
    expect(w.phases.at(-1)).toBe('quick-mode:failed no-proposal-chosen');
    expect(w.net.openSockets).toBe(2);
    w.close();
    w = world();
    const dns = await failure(w, {
      profile: profile({ server: 'vpn.example.test' }),
      resolve: async () => {
        throw new Error('ENOTFOUND vpn.example.test');
      },
    });
    expect(dns).toMatchObject({ phase: 'ike-phase1', code: 'server-not-found' });
  });

  it('resolves a host name, offers only the profile phase-2 list and never logs the PSK', async () => {
    w = world({ qr: { accept: (t) => t.cipher === 'aes-cbc' } });
    const c = await up(w, {
      profile: profile({
        server: 'vpn.example.test',
        algorithms: { phase2: ['aes128-sha1'], onlyTheseProposals: true, pfsGroup: 'modp2048' },
      }),
      resolve: async (host) => (host === 'vpn.example.test' ? SERVER : '0.0.0.0'),
    });
    expect(c.algorithms.esp).toBe('aes128-sha1-modp2048');
    const offered = w.qr.qm1s[0]!.payloads[0]!.payload;
    expect(offered.kind === 'sa' && offered.proposals[0]!.transforms).toHaveLength(1);
    const logs = w.ring.snapshot().map(formatLogEntry).join('\n');
    expect(logs).toContain('quick mode: established');
    expect(logs).not.toContain(PSK_TEXT);
    expect(logs).not.toContain(Buffer.from(PSK).toString('hex'));
    expect(concatBytes(PSK).length).toBeGreaterThan(0);
  });
});

function carriersPop(c: L2tpCarrier): L2tpCarrier {
  carriers.splice(carriers.indexOf(c), 1);
  return c;
}
