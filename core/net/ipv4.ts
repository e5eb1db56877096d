/** IPv4, UDP and ICMP echo codecs: what the orchestrator needs on the packet path and what tests need to ping. */
import { ByteReader, ByteWriter } from '../common/bytes';
import { decoder, fail } from '../common/decode';

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_UDP = 17;

export function ipv4ToBytes(addr: string): Uint8Array {
  const parts = addr.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${addr}`);
  const out = new Uint8Array(4);
  parts.forEach((p, i) => {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new Error(`not an IPv4 address: ${addr}`);
    out[i] = n;
  });
  return out;
}

export function bytesToIpv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 1071 Internet checksum over `data` (optionally continuing a partial sum). */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = data.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Header {
  readonly headerLength: number;
  readonly totalLength: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly source: string;
  readonly destination: string;
  readonly id: number;
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
}

/** RFC 791 §3.1; checks version, IHL, total length and header checksum. */
export const decodeIpv4Header = decoder((packet: Uint8Array): Ipv4Header => {
  const r = new ByteReader(packet);
  const vihl = r.u8('version/ihl');
  if (vihl >> 4 !== 4) fail('invalid', `IP version ${vihl >> 4}`, 0);
  const headerLength = (vihl & 0x0f) * 4;
  if (headerLength < 20) fail('invalid', `IHL ${headerLength}`, 0);
  r.skip(1, 'tos');
  const totalLength = r.u16('total length');
  if (totalLength < headerLength || totalLength > packet.length)
    fail('invalid', `total length ${totalLength}`, 2);
  const id = r.u16('id');
  const frag = r.u16('fragment');
  const ttl = r.u8('ttl');
  const protocol = r.u8('protocol');
  r.skip(2, 'checksum');
  const source = bytesToIpv4(r.bytesView(4, 'source'));
  const destination = bytesToIpv4(r.bytesView(4, 'destination'));
  r.skip(headerLength - 20, 'options');
  if (internetChecksum(packet.subarray(0, headerLength)) !== 0) fail('invalid', 'header checksum', 10);
  return {
    headerLength,
    totalLength,
    ttl,
    protocol,
    source,
    destination,
    id,
    fragmentOffset: (frag & 0x1fff) * 8,
    moreFragments: (frag & 0x2000) !== 0,
  };
});

export function encodeIpv4(
  h: { source: string; destination: string; protocol: number; ttl?: number; id?: number },
  payload: Uint8Array,
): Uint8Array {
  const w = new ByteWriter(20 + payload.length)
    .u8(0x45)
    .u8(0)
    .u16(20 + payload.length)
    .u16(h.id ?? 0)
    .u16(0x4000) // DF
    .u8(h.ttl ?? 64)
    .u8(h.protocol)
    .u16(0)
    .bytes(ipv4ToBytes(h.source))
    .bytes(ipv4ToBytes(h.destination))
    .bytes(payload);
  const out = w.finish();
  const c = internetChecksum(out.subarray(0, 20));
  out[10] = c >> 8;
  out[11] = c & 0xff;
  return out;
}

export interface UdpHeader {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly length: number;
}

/** RFC 768. Checksums are not verified: under ESP, integrity comes from the ICV (RFC 3948 §3.1.2). */
export const decodeUdpHeader = decoder((datagram: Uint8Array): UdpHeader => {
  const r = new ByteReader(datagram);
  const sourcePort = r.u16('source port');
  const destinationPort = r.u16('destination port');
  const length = r.u16('length');
  if (length < 8 || length > datagram.length)
    fail('invalid', `UDP length ${length} for ${datagram.length} bytes`, 4);
  return { sourcePort, destinationPort, length };
});

/** Writes an 8-byte UDP header with checksum 0 (allowed for IPv4, RFC 768) into `out` at `at`. */
export function writeUdpHeader(
  out: Uint8Array,
  at: number,
  sourcePort: number,
  destinationPort: number,
  length: number,
): void {
  out[at] = sourcePort >> 8;
  out[at + 1] = sourcePort & 0xff;
  out[at + 2] = destinationPort >> 8;
  out[at + 3] = destinationPort & 0xff;
  out[at + 4] = length >> 8;
  out[at + 5] = length & 0xff;
  out[at + 6] = 0;
  out[at + 7] = 0;
}

export interface IcmpEcho {
  readonly type: 'request' | 'reply';
  readonly id: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

/** RFC 792 echo request/reply as an IPv4 packet. */
export function encodeIcmpEcho(source: string, destination: string, echo: IcmpEcho): Uint8Array {
  const icmp = new ByteWriter(8 + echo.data.length)
    .u8(echo.type === 'request' ? 8 : 0)
    .u8(0)
    .u16(0)
    .u16(echo.id)
    .u16(echo.seq)
    .bytes(echo.data)
    .finish();
  const c = internetChecksum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  return encodeIpv4({ source, destination, protocol: IPPROTO_ICMP }, icmp);
}

export const decodeIcmpEcho = decoder(
  (packet: Uint8Array): IcmpEcho & { source: string; destination: string } => {
    const ip = decodeIpv4Header(packet);
    if (!ip.ok) fail(ip.error.code, `IPv4: ${ip.error.message}`);
    if (ip.value.protocol !== IPPROTO_ICMP) fail('unsupported', `protocol ${ip.value.protocol}`);
    const body = packet.subarray(ip.value.headerLength, ip.value.totalLength);
    if (internetChecksum(body) !== 0) fail('invalid', 'ICMP checksum');
    const r = new ByteReader(body);
    const type = r.u8('type');
    if (type !== 0 && type !== 8) fail('unsupported', `ICMP type ${type}`);
    r.skip(3, 'code/checksum');
    const id = r.u16('id');
    const seq = r.u16('seq');
    return {
      type: type === 8 ? 'request' : 'reply',
      id,
      seq,
      data: r.rest().slice(),
      source: ip.value.source,
      destination: ip.value.destination,
    };
  },
);
