/** EAP packets (RFC 3748 §4) and the EAP-MSCHAPv2 type data (draft-kamath-pppext-eap-mschapv2-02 §2). */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';

export const EAP_CODE = { REQUEST: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;
export const EAP_TYPE = { IDENTITY: 1, NOTIFICATION: 2, NAK: 3, MD5: 4, TLS: 13, MSCHAPV2: 26 } as const;

export type EapPacket =
  | { readonly code: 1 | 2; readonly id: number; readonly type: number; readonly typeData: Uint8Array }
  | { readonly code: 3 | 4; readonly id: number };

export const decodeEapPacket = decoder((bytes: Uint8Array): EapPacket => {
  const r = new ByteReader(bytes);
  const code = r.u8('code');
  const id = r.u8('identifier');
  const length = r.u16('length');
  if (length < 4) fail('invalid', `EAP length ${length}`, 2);
  if (length > bytes.length) fail('truncated', `EAP length ${length} exceeds ${bytes.length} bytes`, 2);
  if (code === EAP_CODE.SUCCESS || code === EAP_CODE.FAILURE) return { code, id };
  if (code === EAP_CODE.REQUEST || code === EAP_CODE.RESPONSE) {
    if (length < 5) fail('invalid', 'EAP Request/Response without a type', 2);
    const type = r.u8('type');
    return { code, id, type, typeData: r.bytesView(length - 5, 'type data') };
  }
  return fail('unsupported', `EAP code ${code}`, 0);
});

export function encodeEapPacket(p: EapPacket): Uint8Array {
  if (!('type' in p)) return Uint8Array.of(p.code, p.id, 0, 4);
  const len = 5 + p.typeData.length;
  return new ByteWriter(len).u8(p.code).u8(p.id).u16(len).u8(p.type).bytes(p.typeData).finish();
}

/** RFC 3748 §5.4 MD5-Challenge (same layout as CHAP): Value-Size, Value, Name. */
export const decodeEapMd5 = decoder((typeData: Uint8Array): { value: Uint8Array; name: Uint8Array } => {
  const r = new ByteReader(typeData);
  const size = r.u8('value-size');
  if (size === 0) fail('invalid', 'MD5-Challenge value-size 0', 0);
  return { value: r.bytesView(size, 'value'), name: r.rest() };
});

export function encodeEapMd5(value: Uint8Array, name: Uint8Array): Uint8Array {
  return new ByteWriter(1 + value.length + name.length).u8(value.length).bytes(value).bytes(name).finish();
}

export const MSCHAPV2_OP = { CHALLENGE: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4, CHANGE_PASSWORD: 7 } as const;

/** What an EAP-MSCHAPv2 authenticator sends (Request type data). */
export type EapMsChapV2Request =
  | { readonly op: 1; readonly msId: number; readonly challenge: Uint8Array; readonly name: Uint8Array }
  | { readonly op: 3 | 4; readonly msId: number; readonly message: Uint8Array };

/** OpCode, MS-CHAPv2-ID, MS-Length (= EAP Length − 5, i.e. this type data's length), then the body. */
export const decodeEapMsChapV2Request = decoder((typeData: Uint8Array): EapMsChapV2Request => {
  const r = new ByteReader(typeData);
  const op = r.u8('opcode');
  const msId = r.u8('ms-chapv2-id');
  const msLength = r.u16('ms-length');
  if (msLength < 4) fail('invalid', `MS-Length ${msLength}`, 2);
  // Servers disagree on MS-Length; trust the EAP length but never read past MS-Length when it is shorter.
  const body = r.bytesView(Math.min(r.remaining, msLength - 4), 'body');
  if (op === MSCHAPV2_OP.CHALLENGE) {
    const b = new ByteReader(body);
    const size = b.u8('value-size');
    if (size !== 16) fail('invalid', `MS-CHAPv2 challenge of ${size} bytes`, 4);
    return { op, msId, challenge: b.bytesView(16, 'challenge'), name: b.rest() };
  }
  if (op === MSCHAPV2_OP.SUCCESS || op === MSCHAPV2_OP.FAILURE) return { op, msId, message: body };
  return fail('unsupported', `EAP-MSCHAPv2 opcode ${op}`, 0);
});

/** Response type data: OpCode 2, the 49-byte MS-CHAPv2 response value and the user name. */
export function encodeEapMsChapV2Response(msId: number, value49: Uint8Array, name: Uint8Array): Uint8Array {
  const msLength = 5 + value49.length + name.length;
  return new ByteWriter(msLength)
    .u8(MSCHAPV2_OP.RESPONSE)
    .u8(msId)
    .u16(msLength)
    .u8(value49.length)
    .bytes(value49)
    .bytes(name)
    .finish();
}

/** The peer's acknowledgement of an EAP-MSCHAPv2 Success or Failure request: the OpCode alone. */
export function encodeEapMsChapV2Ack(op: 3 | 4): Uint8Array {
  return Uint8Array.of(op);
}
