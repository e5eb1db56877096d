import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import {
  decodeControlPacket,
  decodeFrame,
  encodeControlPacket,
  encodeFrame,
  IP_FRAME_HEADER,
} from '../../../core/ppp/frame';
import { decodeOptions, encodeOptions } from '../../../core/ppp/options';
import { fuzzDecoder } from '../../support/fuzz';

// An LCP Configure-Request as pppd sends it: <asyncmap 0x0> <auth chap MS-v2> <magic 0x1c3b2f9a>.
const PPPD_LCP_REQ = fromHex('ff03 c021 01 01 0013 0206 00000000 0305 c22381 0506 1c3b2f9a');
const SEEDS = [
  PPPD_LCP_REQ,
  fromHex('c021 01 07 0004'),
  fromHex('21 4500001c'), // compressed protocol, IPv4
  fromHex('ff03 8021 01 02 0016 0306 00000000 8106 00000000 8306 00000000'),
];

describe('PPP frame codec', () => {
  it('decodes ff 03 + two-byte protocol and views the payload', () => {
    const f = decodeFrame(PPPD_LCP_REQ);
    expect(f.ok && f.value.protocol).toBe(0xc021);
    expect(f.ok && f.value.addressControl).toBe(true);
    expect(f.ok && toHex(f.value.payload)).toBe(toHex(PPPD_LCP_REQ.subarray(4)));
  });

  it('accepts frames without address/control and with a compressed protocol field (RFC 1661 §6.5/6.6)', () => {
    const a = decodeFrame(fromHex('c021 0101 0004'));
    expect(a.ok && [a.value.protocol, a.value.addressControl]).toEqual([0xc021, false]);
    const b = decodeFrame(fromHex('ff03 21 45'));
    expect(b.ok && [b.value.protocol, toHex(b.value.payload)]).toEqual([0x21, '45']);
  });

  it('refuses a protocol field that does not end in an odd octet, and empty frames', () => {
    expect(decodeFrame(fromHex('ff03 c020 00')).ok).toBe(false);
    expect(decodeFrame(fromHex('ff03')).ok).toBe(false);
    expect(decodeFrame(new Uint8Array(0)).ok).toBe(false);
  });

  it('encodes ff 03 + protocol; the IPv4 header constant is ff 03 00 21', () => {
    expect(toHex(encodeFrame(0x8021, Uint8Array.of(1, 2)))).toBe('ff0380210102');
    expect(toHex(IP_FRAME_HEADER)).toBe('ff030021');
  });

  it('fuzz: decodeFrame is total and re-encodes uncompressed frames exactly', () => {
    const stats = fuzzDecoder('decodeFrame', decodeFrame, SEEDS, {
      check: (f, input) => {
        if (f.addressControl && input.length >= 4 && !(input[2]! & 1)) {
          expect(toHex(encodeFrame(f.protocol, f.payload))).toBe(toHex(input));
        }
      },
    });
    expect(stats.ok).toBeGreaterThan(0);
  });
});

describe('control packet codec (RFC 1661 §5)', () => {
  it('round-trips and ignores padding beyond Length', () => {
    const p = { code: 9, id: 0x33, data: fromHex('01020304aabb') };
    const bytes = encodeControlPacket(p);
    expect(toHex(bytes)).toBe('0933000a01020304aabb');
    const padded = new Uint8Array([...bytes, 0, 0, 0]);
    const d = decodeControlPacket(padded);
    expect(d.ok && toHex(d.value.data)).toBe('01020304aabb');
  });

  it('refuses Length < 4 or beyond the input', () => {
    expect(decodeControlPacket(fromHex('01010003')).ok).toBe(false);
    expect(decodeControlPacket(fromHex('0101000800')).ok).toBe(false);
    expect(decodeControlPacket(fromHex('0101')).ok).toBe(false);
  });

  it('fuzz: decodeControlPacket round-trips what it accepts', () => {
    fuzzDecoder(
      'decodeControlPacket',
      decodeControlPacket,
      SEEDS.map((s) => s.subarray(4)),
      {
        check: (p, input) => {
          const len = (input[2]! << 8) | input[3]!;
          expect(toHex(encodeControlPacket(p))).toBe(toHex(input.subarray(0, len)));
        },
      },
    );
  });
});

describe('option list codec (RFC 1661 §6)', () => {
  it('parses pppd LCP options', () => {
    const o = decodeOptions(PPPD_LCP_REQ.subarray(8));
    expect(o.ok && o.value.map((x) => [x.type, toHex(x.data)])).toEqual([
      [2, '00000000'],
      [3, 'c22381'],
      [5, '1c3b2f9a'],
    ]);
  });

  it('refuses an option length below 2 or past the end', () => {
    expect(decodeOptions(fromHex('0101')).ok).toBe(false);
    expect(decodeOptions(fromHex('0106 0000')).ok).toBe(false);
    expect(decodeOptions(fromHex('01')).ok).toBe(false);
    expect(decodeOptions(new Uint8Array(0)).ok).toBe(true);
  });

  it('fuzz: decodeOptions round-trips what it accepts', () => {
    fuzzDecoder('decodeOptions', decodeOptions, [PPPD_LCP_REQ.subarray(8), SEEDS[3]!.subarray(8)], {
      check: (opts, input) => expect(toHex(encodeOptions(opts))).toBe(toHex(input)),
    });
  });
});
