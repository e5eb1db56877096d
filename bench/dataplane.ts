/**
 * Data-plane throughput of the whole client stack for 1400-byte IP packets (SPEC §7): Connection.send → PPP →
 * L2TP → UDP 1701 → ESP seal (encapsulation), and ESP open → UDP → L2TP → PPP → onPacket (decapsulation), next to
 * raw node:crypto AES-256-GCM in the same process. The connection is brought up for real against the in-process
 * LNS (test/support/fakeLns) through the production L2TP-over-ESP path (core/connection/ipsecDataPath.ts) with
 * real ESP SAs on both sides; only the UDP socket is replaced by a sink. Run: `npx tsx bench/dataplane.ts`.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../core/common/log';
import { systemRandom } from '../core/common/random';
import type { CarrierFactory } from '../core/connection/carrier';
import { Connection } from '../core/connection/connection';
import { L2tpOverEsp } from '../core/connection/ipsecDataPath';
import { InboundSa } from '../core/esp/inbound';
import { OutboundSa } from '../core/esp/outbound';
import { NEXT_HEADER_UDP } from '../core/esp/packet';
import { describeTransform, type EspTransform, espKeyLengths, splitKeymat } from '../core/esp/transforms';
import { decodeUdpHeader, encodeIcmpEcho, writeUdpHeader } from '../core/net/ipv4';
import { loadLegacyPrimitives } from '../core/ppp/crypto/legacy';
import { parseProfile } from '../core/profile/schema';
import { FakeClock } from '../test/support/deterministic';
import { FakeLns } from '../test/support/fakeLns';
import { PASSWORD, USER } from '../test/support/fakeLns/world';
import { softether } from '../test/unit/ppp/linkHarness';

export interface Rate {
  readonly packetsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly microsPerPacket: number;
}

export interface DataPlaneRow {
  readonly transform: string;
  readonly encapsulate: Rate;
  readonly decapsulate: Rate;
  readonly rawAes256Gcm: Rate;
  readonly encapsulateRatio: number;
  readonly decapsulateRatio: number;
}

const IP_BYTES = 1400;

function rate(packets: number, ns: bigint): Rate {
  const s = Number(ns) / 1e9;
  return {
    packetsPerSecond: packets / s,
    megabytesPerSecond: (packets * IP_BYTES) / s / 1e6,
    microsPerPacket: (s * 1e6) / packets,
  };
}

/** Runs `step` in batches until `durationMs` of wall time passed; returns packets/s. */
function measure(durationMs: number, step: (batch: number) => number): Rate {
  const end = process.hrtime.bigint() + BigInt(durationMs) * 1_000_000n;
  const start = process.hrtime.bigint();
  let packets = 0;
  let now = start;
  while (now < end) {
    packets += step(1000);
    now = process.hrtime.bigint();
  }
  return rate(packets, now - start);
}

/** createCipheriv + update + final + getAuthTag per 1400-byte packet: the floor any ESP seal stands on. */
export function rawAes256Gcm(durationMs = 1000): Rate {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const data = randomBytes(IP_BYTES);
  return measure(durationMs, (n) => {
    for (let i = 0; i < n; i++) {
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.update(data);
      c.final();
      c.getAuthTag();
    }
    return n;
  });
}

function saPair(t: EspTransform, spiOut: number, spiIn: number) {
  const mk = () => {
    const k = splitKeymat(t, new Uint8Array(randomBytes(espKeyLengths(t).total)));
    if (!k.ok) throw new Error(k.error);
    return k.value;
  };
  const keysAtoB = mk();
  const keysBtoA = mk();
  return {
    client: {
      outbound: new OutboundSa({ spi: spiOut, transform: t, keys: keysAtoB, random: systemRandom }),
      inbound: new InboundSa({ spi: spiIn, transform: t, keys: keysBtoA }),
    },
    server: {
      outbound: new OutboundSa({ spi: spiIn, transform: t, keys: keysBtoA, random: systemRandom }),
      inbound: new InboundSa({ spi: spiOut, transform: t, keys: keysAtoB }),
    },
  };
}

/** Brings a Connection up against the in-process LNS over ESP, then measures both directions. */
export async function runDataPlane(t: EspTransform, durationMs = 1500): Promise<DataPlaneRow> {
  const clock = new FakeClock();
  const primitives = await loadLegacyPrimitives();
  const lns = new FakeLns({ clock, ppp: softether(), primitives });
  const sas = saPair(t, 0x11111111, 0x22222222);
  let mode: 'live' | 'sink' | 'capture' = 'live';
  const captured: Uint8Array[] = [];
  let path: L2tpOverEsp | null = null;
  const serverUdp = new Uint8Array(8);

  lns.attach((datagram) => {
    writeUdpHeader(serverUdp, 0, 1701, 1701, 8 + datagram.length);
    const sealed = sas.server.outbound.sealParts([serverUdp, datagram], NEXT_HEADER_UDP);
    if (!sealed.ok) throw new Error(`server seal: ${sealed.error}`);
    if (mode === 'capture') captured.push(sealed.value.packet);
    else clock.setTimeout(() => path?.receive(sealed.value.packet), 0);
  });
  const toServer = (packet: Uint8Array) => {
    const opened = sas.server.inbound.open(packet);
    if (!opened.ok) throw new Error(`server open: ${opened.error}`);
    const udp = opened.value.payload;
    const h = decodeUdpHeader(udp);
    if (!h.ok) throw new Error('server: bad UDP');
    const l2tp = udp.slice(8, h.value.length);
    clock.setTimeout(() => lns.receive(l2tp), 0);
  };

  let sunk = 0;
  const carrier: CarrierFactory = async () => {
    const p = new L2tpOverEsp({
      sas: { ...sas.client, mode: 'transport' },
      localAddress: '10.201.0.2',
      serverAddress: '10.201.0.1',
      sendEsp: (packet) => {
        if (mode === 'live') toServer(packet);
        else sunk++;
      },
      logger: silentLogger,
    });
    path = p;
    return {
      send: (d) => p.send(d),
      sendParts: (parts) => p.sendParts(parts),
      onDatagram: (h) => p.onDatagram(h),
      onFailure: () => {},
      algorithms: { esp: describeTransform(t) },
      stats: () => p.stats(),
      close: async () => {},
    };
  };
  const profile = parseProfile({
    id: 'bench',
    name: 'bench',
    server: '10.201.0.1',
    userAuth: { username: USER },
  });
  if (!profile.ok) throw new Error('bench profile invalid');
  const conn = new Connection({
    profile: profile.value,
    secrets: { password: PASSWORD },
    carrier,
    clock,
    pppPrimitives: primitives,
  });
  const up = await clock.run(conn.connect(), 120_000);

  const packet = encodeIcmpEcho(up.addresses.localIp, lns.serverIp, {
    type: 'request',
    id: 1,
    seq: 1,
    data: new Uint8Array(IP_BYTES - 28),
  });
  let received = 0;
  conn.onPacket(() => received++);

  mode = 'sink';
  const encapsulate = measure(durationMs, (n) => {
    for (let i = 0; i < n; i++) conn.send(packet);
    return n;
  });
  if (sunk === 0) throw new Error('nothing was encapsulated');

  // Decapsulation: the server seals a batch of ESP packets (not timed), the client opens them (timed).
  mode = 'capture';
  const reply = encodeIcmpEcho(lns.serverIp, up.addresses.localIp, {
    type: 'reply',
    id: 1,
    seq: 1,
    data: new Uint8Array(IP_BYTES - 28),
  });
  const decapEnd = process.hrtime.bigint() + BigInt(durationMs) * 1_000_000n;
  let decapNs = 0n;
  let decapPackets = 0;
  while (process.hrtime.bigint() < decapEnd) {
    captured.length = 0;
    for (let i = 0; i < 5000; i++) lns.sendIp(reply);
    const before = received;
    const t0 = process.hrtime.bigint();
    for (const p of captured) path!.receive(p);
    decapNs += process.hrtime.bigint() - t0;
    decapPackets += received - before;
    if (received - before !== captured.length)
      throw new Error(`decapsulated ${received - before} of ${captured.length}`);
  }
  const decapsulate = rate(decapPackets, decapNs);
  mode = 'sink';
  await clock.run(conn.disconnect(), 60_000);
  const raw = rawAes256Gcm(Math.min(durationMs, 1000));
  return {
    transform: describeTransform(t),
    encapsulate,
    decapsulate,
    rawAes256Gcm: raw,
    encapsulateRatio: encapsulate.packetsPerSecond / raw.packetsPerSecond,
    decapsulateRatio: decapsulate.packetsPerSecond / raw.packetsPerSecond,
  };
}

export const DATA_PLANE_TRANSFORMS: readonly EspTransform[] = [
  { cipher: 'aes-gcm-16', keyBits: 256 },
  { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha1-96' },
  { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' },
];

export function formatRate(r: Rate): string {
  return `${Math.round(r.packetsPerSecond).toLocaleString('en')} pkt/s ${r.megabytesPerSecond.toFixed(0)} MB/s (${r.microsPerPacket.toFixed(2)} µs)`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const t of DATA_PLANE_TRANSFORMS) {
    const r = await runDataPlane(t);
    console.log(
      `${r.transform.padEnd(16)} encap ${formatRate(r.encapsulate)}  decap ${formatRate(r.decapsulate)}  raw GCM ${formatRate(r.rawAes256Gcm)}  ratios ${r.encapsulateRatio.toFixed(2)}/${r.decapsulateRatio.toFixed(2)}`,
    );
  }
}
