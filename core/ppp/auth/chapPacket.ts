/** CHAP packets (RFC 1994 §4), also carrying MS-CHAPv2 (RFC 2759 §3–6). */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';
import { decodeControlPacket } from '../frame';

export const CHAP_CODE = { CHALLENGE: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

export type ChapPacket =
  | { readonly code: 1 | 2; readonly id: number; readonly value: Uint8Array; readonly name: Uint8Array }
  | { readonly code: 3 | 4; readonly id: number; readonly message: Uint8Array };

export const decodeChapPacket = decoder((bytes: Uint8Array): ChapPacket => {
  const pkt = decodeControlPacket(bytes);
  if (!pkt.ok) fail(pkt.error.code, pkt.error.message, pkt.error.offset);
  const { code, id, data } = pkt.value;
  if (code === CHAP_CODE.CHALLENGE || code === CHAP_CODE.RESPONSE) {
    const r = new ByteReader(data);
    const size = r.u8('value-size');
    if (size === 0) fail('invalid', 'CHAP value-size 0', 4);
    const value = r.bytesView(size, 'value');
    return { code, id, value, name: r.rest() };
  }
  if (code === CHAP_CODE.SUCCESS || code === CHAP_CODE.FAILURE) return { code, id, message: data };
  return fail('unsupported', `CHAP code ${code}`, 0);
});

export function encodeChapPacket(p: ChapPacket): Uint8Array {
  if ('value' in p) {
    const len = 5 + p.value.length + p.name.length;
    return new ByteWriter(len)
      .u8(p.code)
      .u8(p.id)
      .u16(len)
      .u8(p.value.length)
      .bytes(p.value)
      .bytes(p.name)
      .finish();
  }
  const len = 4 + p.message.length;
  return new ByteWriter(len).u8(p.code).u8(p.id).u16(len).bytes(p.message).finish();
}
