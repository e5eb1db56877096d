import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import {
  decodeIcmpEcho,
  decodeIpv4Header,
  decodeUdpHeader,
  encodeIcmpEcho,
  internetChecksum,
  ipv4ToBytes,
  writeUdpHeader,
} from '../../../core/net/ipv4';
import { fuzzDecoder } from '../../support/fuzz';

describe('IPv4/UDP/ICMP codecs', () => {
  it('computes the RFC 1071 example checksum', () => {
    // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
    expect(internetChecksum(fromHex('0001f203f4f5f6f7'))).toBe(0x220d);
  });

  it('builds an echo request that decodes back', () => {
    const pkt = encodeIcmpEcho('10.0.0.1', '10.0.0.2', {
      type: 'request',
      id: 7,
      seq: 9,
      data: fromHex('abcdef'),
    });
    expect(decodeIpv4Header(pkt)).toMatchObject({
      ok: true,
      value: { protocol: 1, source: '10.0.0.1', totalLength: 31 },
    });
    expect(decodeIcmpEcho(pkt)).toMatchObject({
      ok: true,
      value: { type: 'request', id: 7, seq: 9, destination: '10.0.0.2' },
    });
    const corrupt = pkt.slice();
    corrupt[25]! ^= 1;
    expect(decodeIcmpEcho(corrupt)).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });

  it('writes and reads UDP headers', () => {
    const b = new Uint8Array(12);
    writeUdpHeader(b, 0, 1701, 1701, 12);
    expect(toHex(b.subarray(0, 8))).toBe('06a506a5000c0000');
    expect(decodeUdpHeader(b)).toEqual({
      ok: true,
      value: { sourcePort: 1701, destinationPort: 1701, length: 12 },
    });
    expect(decodeUdpHeader(b.subarray(0, 10)).ok).toBe(false);
  });

  it('rejects malformed addresses', () => {
    expect(() => ipv4ToBytes('1.2.3')).toThrow();
    expect(() => ipv4ToBytes('1.2.3.256')).toThrow();
  });

  it('survives fuzzing', () => {
    const seed = encodeIcmpEcho('192.168.30.10', '192.168.30.1', {
      type: 'reply',
      id: 1,
      seq: 2,
      data: new Uint8Array(32),
    });
    fuzzDecoder('ipv4 header', decodeIpv4Header, [seed]);
    fuzzDecoder('icmp echo', decodeIcmpEcho, [seed]);
    fuzzDecoder('udp header', decodeUdpHeader, [fromHex('06a506a5000c000001020304')]);
  });
});
