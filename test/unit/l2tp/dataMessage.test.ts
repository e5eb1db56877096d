import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import {
  DATA_PROBLEM_CODE,
  DataFramer,
  decodeDataMessage,
  newDataHeaderFields,
  parseDataHeader,
} from '../../../core/l2tp/dataMessage';
import { fuzzDecoder } from '../../support/fuzz';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));
/** An LCP Configure-Request as PPP puts it in L2TP: address/control FF 03, protocol C021. */
const LCP = hex('ff03 c021 0101 000a 0104 0578');

/** SoftEther (SendL2TPDataPacket): L bit, length, no sequence numbers. */
const SOFTETHER = hex(`4002 0014 1234 2a2a ${toHex(LCP)}`);
/** Linux l2tp_core (xl2tpd kernel mode): bare header. */
const KERNEL = hex(`0002 1234 2a2a ${toHex(LCP)}`);
/** xl2tpd userspace with "length bit = yes" and sequencing: L and S. */
const XL2TPD_LS = hex(`4802 0018 1234 2a2a 0007 0000 ${toHex(LCP)}`);
/** Offset present (O bit): offset size 2, two pad bytes, then the frame. */
const OFFSET = hex(`0202 1234 2a2a 0002 dead ${toHex(LCP)}`);
/** Priority bit with a Length shorter than the datagram (trailing bytes ignored). */
const PRIORITY_PADDED = hex(`4102 0014 1234 2a2a ${toHex(LCP)} 0000 0000`);

function decode(bytes: Uint8Array) {
  const r = decodeDataMessage(bytes);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('data message codec (RFC 2661 §3.1, §5.4)', () => {
  it('decodes the header variants SoftEther, the Linux kernel and xl2tpd send to a view of the PPP frame', () => {
    for (const d of [SOFTETHER, KERNEL, XL2TPD_LS, OFFSET, PRIORITY_PADDED]) {
      const m = decode(d);
      expect(m.tunnelId).toBe(0x1234);
      expect(m.sessionId).toBe(0x2a2a);
      expect(toHex(m.payload)).toBe(toHex(LCP));
      expect(m.payload.buffer).toBe(d.buffer);
    }
    expect(decode(XL2TPD_LS)).toMatchObject({ ns: 7, nr: 0, priority: false });
    expect(decode(PRIORITY_PADDED)).toMatchObject({ priority: true });
    expect(decode(KERNEL).ns).toBeUndefined();
  });

  it('frames with a precomputed 6-byte header: no length, no sequence numbers', () => {
    const f = new DataFramer(0x5a5a, 0x0b0b);
    expect(f.headerLength).toBe(6);
    expect(toHex(f.frame(LCP))).toBe(`00025a5a0b0b${toHex(LCP)}`);
    expect(toHex(f.frame(LCP))).toBe(`00025a5a0b0b${toHex(LCP)}`);
  });

  it('adds Ns (and a zero Nr) while sequencing is on, continuing where it left off (§5.4)', () => {
    const f = new DataFramer(1, 2, true);
    expect(toHex(f.frame(LCP)).slice(0, 20)).toBe('08020001000200000000');
    expect(toHex(f.frame(LCP)).slice(0, 20)).toBe('08020001000200010000');
    f.sequencing = false;
    expect(toHex(f.frame(LCP)).slice(0, 12)).toBe('000200010002');
    f.sequencing = true;
    expect(decode(f.frame(LCP)).ns).toBe(2);
  });

  it('writes the header into a caller buffer for zero-copy framing', () => {
    const f = new DataFramer(1, 2);
    const buf = new Uint8Array(8 + f.headerLength + LCP.length);
    const n = f.writeHeader(buf, 8);
    buf.set(LCP, 8 + n);
    expect(toHex(decode(buf.subarray(8)).payload)).toBe(toHex(LCP));
  });

  it('refuses control messages, other versions and lengths that do not fit', () => {
    expect(decodeDataMessage(hex('c802 000c 1234 0000 0000 0000'))).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(decodeDataMessage(hex('0003 1234 2a2a ff03'))).toMatchObject({
      ok: false,
      error: { code: 'unsupported' },
    });
    expect(decodeDataMessage(hex('4002 0040 1234 2a2a ff03'))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
    expect(decodeDataMessage(hex('4002 0003 1234 2a2a ff03'))).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(decodeDataMessage(hex('0202 1234 2a2a 0010 ff03'))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
  });

  it('survives 10^5 fuzzed inputs, and the allocation-free hot path agrees with the decoder on each', () => {
    const h = newDataHeaderFields();
    const stats = fuzzDecoder(
      'decodeDataMessage',
      (input) => {
        const r = decodeDataMessage(input);
        const problem = parseDataHeader(input, h);
        if (r.ok) {
          expect(problem).toBeNull();
          expect([h.tunnelId, h.sessionId, h.ns, h.priority]).toEqual([
            r.value.tunnelId,
            r.value.sessionId,
            r.value.ns ?? -1,
            r.value.priority,
          ]);
          expect(h.payloadEnd - h.payloadStart).toBe(r.value.payload.length);
          expect(r.value.payload.byteOffset - input.byteOffset).toBe(h.payloadStart);
        } else {
          expect(problem === null ? null : DATA_PROBLEM_CODE[problem]).toBe(r.error.code);
        }
        return r;
      },
      [SOFTETHER, KERNEL, XL2TPD_LS, OFFSET, PRIORITY_PADDED],
    );
    expect(stats.ok).toBeGreaterThan(1000);
  });
});
