/**
 * The carrier's packet path on its own: two L2tpOverEsp instances joined back to back by a fake transport
 * (each one's ESP output is the other's input), with both ESP modes, reordering, duplication and a rekey.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { type EspSaPair, L2tpOverEsp } from '../../../core/connection/ipsecDataPath';
import { InboundSa } from '../../../core/esp/inbound';
import { OutboundSa } from '../../../core/esp/outbound';
import { type EspTransform, espKeyLengths, splitKeymat } from '../../../core/esp/transforms';
import type { EspMode } from '../../../core/ike/quick/espProposals';
import { seededRandom } from '../ike/support/harness';

const CLIENT = '10.0.0.2';
const SERVER = '10.0.0.1';

function keys(t: EspTransform, seed: number) {
  const k = splitKeymat(t, seededRandom(seed)(espKeyLengths(t).total));
  if (!k.ok) throw new Error(k.error);
  return k.value;
}

/** Matching SA pairs for both ends: client out == server in (spiS), server out == client in (spiC). */
function pairs(t: EspTransform, mode: EspMode, spiC: number, spiS: number, seed = 1): [EspSaPair, EspSaPair] {
  const kC = keys(t, seed);
  const kS = keys(t, seed + 100);
  const nh = [mode === 'transport' ? 17 : 4];
  return [
    {
      mode,
      outbound: new OutboundSa({ spi: spiS, transform: t, keys: kS, random: seededRandom(seed + 1) }),
      inbound: new InboundSa({ spi: spiC, transform: t, keys: kC, acceptNextHeaders: nh }),
    },
    {
      mode,
      outbound: new OutboundSa({ spi: spiC, transform: t, keys: kC, random: seededRandom(seed + 2) }),
      inbound: new InboundSa({ spi: spiS, transform: t, keys: kS, acceptNextHeaders: nh }),
    },
  ];
}

interface Link {
  readonly client: L2tpOverEsp;
  readonly server: L2tpOverEsp;
  readonly toServer: Uint8Array[];
  readonly toClient: Uint8Array[];
  readonly gotClient: Uint8Array[];
  readonly gotServer: Uint8Array[];
  authentic: number;
}

function link(t: EspTransform, mode: EspMode): Link {
  const [c, s] = pairs(t, mode, 0x1000c11e, 0x5e4e4001);
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const l: Link = {
    client: new L2tpOverEsp({
      sas: c,
      localAddress: CLIENT,
      serverAddress: SERVER,
      sendEsp: (p) => toServer.push(p),
      onAuthentic: () => {
        l.authentic++;
      },
      logger: silentLogger,
    }),
    server: new L2tpOverEsp({
      sas: s,
      localAddress: SERVER,
      serverAddress: CLIENT,
      sendEsp: (p) => toClient.push(p),
      logger: silentLogger,
    }),
    toServer,
    toClient,
    gotClient: [],
    gotServer: [],
    authentic: 0,
  };
  l.client.onDatagram((d) => l.gotClient.push(d.slice()));
  l.server.onDatagram((d) => l.gotServer.push(d.slice()));
  return l;
}

const datagram = (i: number) => Uint8Array.from({ length: 20 + (i % 50) }, (_, j) => (i * 7 + j) & 0xff);

describe('L2TP over an ESP SA pair, back to back', () => {
  for (const mode of ['transport', 'tunnel'] as const) {
    for (const t of [
      { cipher: 'aes-gcm-16', keyBits: 256 },
      { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' },
    ] as EspTransform[]) {
      it(`moves datagrams both ways (${mode}, ${t.cipher})`, () => {
        const l = link(t, mode);
        for (let i = 0; i < 100; i++) {
          expect(l.client.send(datagram(i))).toBe(true);
          expect(l.server.send(datagram(1000 + i))).toBe(true);
        }
        for (const p of l.toServer.splice(0)) l.server.receive(p);
        for (const p of l.toClient.splice(0)) l.client.receive(p);
        expect(l.gotServer.map((d) => [...d])).toEqual(
          Array.from({ length: 100 }, (_, i) => [...datagram(i)]),
        );
        expect(l.gotClient.map((d) => [...d])).toEqual(
          Array.from({ length: 100 }, (_, i) => [...datagram(1000 + i)]),
        );
        expect(l.authentic).toBe(100);
      });
    }
  }

  it('delivers reordered packets once and drops replayed duplicates', () => {
    const l = link({ cipher: 'aes-gcm-16', keyBits: 128 }, 'transport');
    for (let i = 0; i < 50; i++) l.server.send(datagram(i));
    const packets = l.toClient.splice(0);
    const shuffled = packets.map((p, i) => ({ p, k: (i * 37) % 50 })).sort((a, b) => a.k - b.k);
    for (const { p } of shuffled) {
      l.client.receive(p);
      l.client.receive(p);
    }
    expect(l.gotClient).toHaveLength(50);
    expect(new Set(l.gotClient.map((d) => Buffer.from(d).toString('hex'))).size).toBe(50);
    expect(l.client.counters.espDropped).toBe(50);
  });

  it('rekeys without losing packets in flight: the old inbound SA receives until retired', () => {
    const t: EspTransform = { cipher: 'aes-gcm-16', keyBits: 256 };
    const l = link(t, 'transport');
    l.server.send(datagram(1));
    const inFlight = l.toClient.splice(0);
    const [c2, s2] = pairs(t, 'transport', 0x2000c11e, 0x6e4e4002, 7);
    const oldClientIn = l.client.install(c2);
    l.server.install(s2);
    l.server.send(datagram(2));
    l.client.send(datagram(3));
    for (const p of [...l.toClient.splice(0), ...inFlight]) l.client.receive(p);
    for (const p of l.toServer.splice(0)) l.server.receive(p);
    expect(l.gotClient.map((d) => [...d])).toEqual([[...datagram(2)], [...datagram(1)]]);
    expect(l.gotServer.map((d) => [...d])).toEqual([[...datagram(3)]]);
    // Once retired, the old SA's packets are refused by SPI.
    l.client.retire(oldClientIn.spi);
    l.client.receive(inFlight[0]!);
    expect(l.gotClient).toHaveLength(2);
    expect(l.client.sas.inbound.spi).toBe(0x2000c11e);
  });

  it('refuses to send when the SA is exhausted and reports each refusal', () => {
    const [c] = pairs({ cipher: 'aes-gcm-16', keyBits: 128 }, 'transport', 0x1111, 0x2222);
    const limited: EspSaPair = {
      ...c,
      outbound: new OutboundSa({
        spi: 0x2222,
        transform: { cipher: 'aes-gcm-16', keyBits: 128 },
        keys: keys({ cipher: 'aes-gcm-16', keyBits: 128 }, 5),
        limits: { hardPackets: 3 },
      }),
    };
    const exhausted: string[] = [];
    const path = new L2tpOverEsp({
      sas: limited,
      localAddress: CLIENT,
      serverAddress: SERVER,
      sendEsp: () => {},
      onExhausted: (r) => exhausted.push(r),
      logger: silentLogger,
    });
    const sent = Array.from({ length: 5 }, (_, i) => path.send(datagram(i)));
    expect(sent).toEqual([true, true, true, false, false]);
    expect(path.counters.sealRefused['sequence-exhausted']).toBe(2);
    expect(exhausted).toEqual(['sequence-exhausted', 'sequence-exhausted']);
  });
});
