import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, concatBytes, equalBytes, fromHex, toHex } from '../../../core/common/bytes';
import { decoder } from '../../../core/common/decode';

describe('ByteReader/ByteWriter', () => {
  it('round-trips integers and bytes big-endian', () => {
    const w = new ByteWriter(2).u8(1).u16(0x0203).u32(0x04050607).bytes(fromHex('0809'));
    expect(toHex(w.finish())).toBe('010203040506070809');
    const r = new ByteReader(w.finish());
    expect([r.u8(), r.u16(), r.u32(), toHex(r.rest())]).toEqual([1, 0x0203, 0x04050607, '0809']);
  });

  it('turns an overrun into a typed truncated error at the decoder boundary', () => {
    const parse = decoder((b: Uint8Array) => new ByteReader(b).u32('length'));
    const res = parse(new Uint8Array(3));
    expect(res).toEqual({
      ok: false,
      error: { code: 'truncated', message: expect.stringContaining('length'), offset: 0 },
    });
  });

  it('turns unexpected exceptions into internal errors rather than throwing', () => {
    const parse = decoder(() => {
      throw new TypeError('boom');
    });
    expect(parse()).toEqual({ ok: false, error: { code: 'internal', message: 'TypeError: boom' } });
  });

  it('compares in constant time and concatenates', () => {
    expect(equalBytes(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(equalBytes(fromHex('0102'), fromHex('010203'))).toBe(false);
    expect(toHex(concatBytes(fromHex('01'), fromHex(''), fromHex('0203')))).toBe('010203');
  });
});
