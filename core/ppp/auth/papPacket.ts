/** PAP packets (RFC 1334 §2.2): Authenticate-Request, -Ack, -Nak. */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';
import { decodeControlPacket } from '../frame';

export const PAP_CODE = { REQUEST: 1, ACK: 2, NAK: 3 } as const;

export type PapPacket =
  | { readonly code: 1; readonly id: number; readonly peerId: Uint8Array; readonly password: Uint8Array }
  | { readonly code: 2 | 3; readonly id: number; readonly message: Uint8Array };

export const decodePapPacket = decoder((bytes: Uint8Array): PapPacket => {
  const pkt = decodeControlPacket(bytes);
  if (!pkt.ok) fail(pkt.error.code, pkt.error.message, pkt.error.offset);
  const { code, id, data } = pkt.value;
  const r = new ByteReader(data);
  if (code === PAP_CODE.REQUEST) {
    const peerId = r.bytesView(r.u8('peer-id length'), 'peer-id');
    const password = r.bytesView(r.u8('password length'), 'password');
    return { code, id, peerId, password };
  }
  if (code === PAP_CODE.ACK || code === PAP_CODE.NAK) {
    // RFC 1334 §2.2.2: Msg-Length then Message; tolerate an absent Msg-Length (some servers send none).
    if (r.remaining === 0) return { code, id, message: new Uint8Array(0) };
    const len = r.u8('msg length');
    return { code, id, message: r.bytesView(Math.min(len, r.remaining), 'message') };
  }
  return fail('unsupported', `PAP code ${code}`, 0);
});

export function encodePapRequest(id: number, peerId: Uint8Array, password: Uint8Array): Uint8Array {
  if (peerId.length > 255 || password.length > 255)
    throw new RangeError('PAP peer-id or password over 255 bytes');
  const len = 4 + 2 + peerId.length + password.length;
  return new ByteWriter(len)
    .u8(PAP_CODE.REQUEST)
    .u8(id & 0xff)
    .u16(len)
    .u8(peerId.length)
    .bytes(peerId)
    .u8(password.length)
    .bytes(password)
    .finish();
}

/**
 * An Authenticate-Request whose password is the concatenation of `passwordParts` (password, then e.g. a separator
 * and a one-time code), written into one fresh buffer with no intermediate copies: the caller owns every byte of
 * the secret and can zero the parts and, later, the request.
 */
export function encodePapRequestParts(
  id: number,
  peerId: Uint8Array,
  passwordParts: readonly Uint8Array[],
): Uint8Array {
  let pwLen = 0;
  for (const p of passwordParts) pwLen += p.length;
  if (peerId.length > 255 || pwLen > 255) throw new RangeError('PAP peer-id or password over 255 bytes');
  const len = 4 + 2 + peerId.length + pwLen;
  const out = new Uint8Array(len);
  out[0] = PAP_CODE.REQUEST;
  out[1] = id & 0xff;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  out[4] = peerId.length;
  out.set(peerId, 5);
  let o = 5 + peerId.length;
  out[o++] = pwLen;
  for (const p of passwordParts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function encodePapReply(code: 2 | 3, id: number, message: Uint8Array): Uint8Array {
  const len = 5 + message.length;
  return new ByteWriter(len).u8(code).u8(id).u16(len).u8(message.length).bytes(message).finish();
}
