/**
 * PPP frames as carried in L2TP data messages. RFC 2661 leaves open whether the HDLC address/control bytes
 * (0xFF 0x03) precede the protocol field; Linux's l2tp_ppp, pppd, Windows and SoftEther send them, so Ferry always
 * sends them and accepts frames with or without them (RFC 1661 §6.6 ACFC, never negotiated). There is no HDLC
 * flag, escaping or FCS on L2TP. The protocol field may arrive compressed to one byte (RFC 1661 §6.5).
 */
import { ByteReader, ByteWriter } from '../common/bytes';
import type { DecodeError } from '../common/decode';
import { decoder, fail } from '../common/decode';
import { err, ok, type Result } from '../common/result';

export const ADDRESS = 0xff;
export const CONTROL = 0x03;

/** ff 03 00 21: the header of every IPv4 frame Ferry sends. Shared constant: never mutate it. */
export const IP_FRAME_HEADER: Uint8Array = Uint8Array.of(0xff, 0x03, 0x00, 0x21);
/** ff 03 00 57: the header of every IPv6 frame Ferry sends. Shared constant: never mutate it. */
export const IPV6_FRAME_HEADER: Uint8Array = Uint8Array.of(0xff, 0x03, 0x00, 0x57);

export interface PppFrame {
  readonly protocol: number;
  /** A view into the input (no copy). */
  readonly payload: Uint8Array;
  readonly addressControl: boolean;
}

/** Decodes address/control (optional) and the protocol field; total without try/catch (hot path). */
export function decodeFrame(bytes: Uint8Array): Result<PppFrame, DecodeError> {
  let off = 0;
  const addressControl = bytes.length >= 2 && bytes[0] === ADDRESS && bytes[1] === CONTROL;
  if (addressControl) off = 2;
  if (bytes.length <= off)
    return err({ code: 'truncated', message: 'frame has no protocol field', offset: off });
  const first = bytes[off]!;
  if (first & 1) {
    // RFC 1661 §2: an odd first octet is a one-octet (compressed) protocol field.
    return ok({ protocol: first, payload: bytes.subarray(off + 1), addressControl });
  }
  if (bytes.length < off + 2)
    return err({ code: 'truncated', message: 'two-octet protocol field cut short' });
  const second = bytes[off + 1]!;
  if ((second & 1) === 0) {
    return err({ code: 'invalid', message: 'protocol field does not end in an odd octet', offset: off + 1 });
  }
  return ok({ protocol: (first << 8) | second, payload: bytes.subarray(off + 2), addressControl });
}

/** A full frame with ff 03 and an uncompressed protocol field. */
export function encodeFrame(protocol: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out[0] = ADDRESS;
  out[1] = CONTROL;
  out[2] = protocol >> 8;
  out[3] = protocol & 0xff;
  out.set(payload, 4);
  return out;
}

/** A control packet of LCP, an NCP, PAP, CHAP or EAP: code, identifier and data (RFC 1661 §5). */
export interface ControlPacket {
  readonly code: number;
  readonly id: number;
  /** The bytes after the 4-byte header, up to the Length field (padding beyond it is dropped). */
  readonly data: Uint8Array;
}

/** RFC 1661 §5: octets past Length are padding and ignored; Length below 4 or beyond the input is invalid. */
export const decodeControlPacket = decoder((bytes: Uint8Array): ControlPacket => {
  const r = new ByteReader(bytes);
  const code = r.u8('code');
  const id = r.u8('identifier');
  const length = r.u16('length');
  if (length < 4) fail('invalid', `length ${length} is below the 4-byte header`, 2);
  if (length > bytes.length)
    fail('truncated', `length ${length} exceeds the ${bytes.length} bytes received`, 2);
  return { code, id, data: r.bytesView(length - 4, 'data') };
});

export function encodeControlPacket(p: ControlPacket): Uint8Array {
  if (p.data.length > 0xffff - 4) throw new RangeError('control packet data too long');
  return new ByteWriter(4 + p.data.length)
    .u8(p.code)
    .u8(p.id & 0xff)
    .u16(4 + p.data.length)
    .bytes(p.data)
    .finish();
}
