import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { NattTransport } from '../../../core/ike/nattTransport';
import { FakeClock } from '../../support/deterministic';
import { FakeNetwork } from './support/fakeNetwork';

const SERVER = '10.0.0.1';
const CLIENT = '10.0.0.2';

let t: NattTransport | null = null;
afterEach(() => {
  t?.close();
  t = null;
});

async function setup(keepaliveIntervalMs?: number) {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  const s500 = net.bind(SERVER, 500);
  const s4500 = net.bind(SERVER, 4500);
  const at500: Uint8Array[] = [];
  const at4500: { data: Uint8Array; port: number }[] = [];
  s500.onMessage((d) => at500.push(d));
  s4500.onMessage((d, from) => at4500.push({ data: d, port: from.port }));
  t = await NattTransport.open({
    sockets: net.factory(CLIENT),
    serverAddress: SERVER,
    clock,
    logger: silentLogger,
    ...(keepaliveIntervalMs === undefined ? {} : { keepaliveIntervalMs }),
  });
  return { clock, net, s500, s4500, at500, at4500, t };
}

describe('NAT-T transport (RFC 3947 §4, RFC 3948 §2)', () => {
  it('opens two ephemeral sockets and sends IKE to 500, then to 4500 behind the non-ESP marker', async () => {
    const s = await setup();
    expect(s.t.localPorts.ike).not.toBe(s.t.localPorts.natt);
    expect(s.t.localPorts.ike).not.toBe(500);
    s.t.sendIke(Uint8Array.of(1, 2, 3));
    s.t.float();
    s.t.sendIke(Uint8Array.of(4, 5, 6));
    await s.clock.advance(5);
    expect(s.at500.map((d) => [...d])).toEqual([[1, 2, 3]]);
    expect(s.at4500.map((d) => [...d.data])).toEqual([[0, 0, 0, 0, 4, 5, 6]]);
    expect(s.at4500[0]!.port).toBe(s.t.localPorts.natt);
  });

  it('demultiplexes 4500: IKE (marker stripped), keepalive ignored, ESP to the hook; and foreign sources dropped', async () => {
    const s = await setup();
    const ike: [number[], string][] = [];
    const esp: number[][] = [];
    s.t.onIke((m, via) => ike.push([[...m], via]));
    s.t.onEsp((p) => esp.push([...p]));
    const toNatt = { address: CLIENT, port: s.t.localPorts.natt };
    const fromServer = { address: SERVER, port: 4500 };
    s.net.inject(fromServer, toNatt, Uint8Array.of(0, 0, 0, 0, 9, 9, 9, 9, 9));
    s.net.inject(fromServer, toNatt, Uint8Array.of(0xff));
    s.net.inject(fromServer, toNatt, Uint8Array.of(0xc0, 1, 2, 3, 0, 0, 0, 1, 0xaa));
    s.net.inject(fromServer, toNatt, Uint8Array.of(1, 2, 3));
    s.net.inject({ address: '10.6.6.6', port: 4500 }, toNatt, Uint8Array.of(0xc0, 1, 2, 3, 0, 0, 0, 1));
    s.net.inject(
      { address: SERVER, port: 500 },
      { address: CLIENT, port: s.t.localPorts.ike },
      Uint8Array.of(7, 7),
    );
    await s.clock.advance(5);
    expect(ike).toEqual([
      [[9, 9, 9, 9, 9], 'natt'],
      [[7, 7], 'ike'],
    ]);
    expect(esp).toEqual([[0xc0, 1, 2, 3, 0, 0, 0, 1, 0xaa]]);
    expect(s.t.counters).toMatchObject({
      keepalivesReceived: 1,
      droppedMalformed: 1,
      droppedForeign: 1,
      espReceived: 1,
    });
    s.t.onEsp(null);
    s.net.inject(fromServer, toNatt, Uint8Array.of(0xc0, 1, 2, 3, 0, 0, 0, 2));
    await s.clock.advance(5);
    expect(s.t.counters.droppedNoEspHandler).toBe(1);
  });

  it('sends ESP to 4500 without a marker', async () => {
    const s = await setup();
    s.t.float();
    s.t.sendEsp(Uint8Array.of(0xc0, 1, 2, 3, 0, 0, 0, 1));
    await s.clock.advance(5);
    expect(s.at4500.map((d) => [...d.data])).toEqual([[0xc0, 1, 2, 3, 0, 0, 0, 1]]);
  });

  it('sends 0xFF keepalives every interval once floated, only when 4500 was otherwise idle', async () => {
    const s = await setup(20_000);
    await s.clock.advance(60_000);
    expect(s.at4500).toHaveLength(0);
    s.t.float();
    await s.clock.advance(20_001);
    expect(s.at4500.map((d) => [...d.data])).toEqual([[0xff]]);
    await s.clock.advance(9_999);
    s.t.sendEsp(Uint8Array.of(0xc0, 0, 0, 1, 0, 0, 0, 1));
    await s.clock.advance(15_000);
    // The ESP packet at 30 s reset the idle timer: no keepalive at 40 s, the next one at 50 s.
    expect(s.at4500).toHaveLength(2);
    await s.clock.advance(5_001);
    expect(s.at4500).toHaveLength(3);
    expect(s.t.counters.keepalivesSent).toBe(2);
  });

  it('closes cleanly: sockets released, timers cancelled, sends ignored', async () => {
    const s = await setup();
    s.t.float();
    const before = s.net.openSockets;
    s.t.close();
    s.t.close();
    expect(s.net.openSockets).toBe(before - 2);
    expect(s.clock.pendingTimers).toBe(0);
    s.t.sendIke(Uint8Array.of(1));
    s.t.sendEsp(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    await s.clock.advance(100);
    expect(s.at4500).toHaveLength(0);
    t = null;
  });

  it('a throwing handler cannot break delivery to the others', async () => {
    const s = await setup();
    const got: number[] = [];
    s.t.onIke(() => {
      throw new Error('boom');
    });
    s.t.onIke((m) => got.push(m.length));
    s.net.inject(
      { address: SERVER, port: 500 },
      { address: CLIENT, port: s.t.localPorts.ike },
      new Uint8Array(30),
    );
    await s.clock.advance(5);
    expect(got).toEqual([30]);
  });
});
