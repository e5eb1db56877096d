/** Control message codec: header with T, L, S set and O, P clear (RFC 2661 §3.1), then AVPs (§4.1). */
import { ByteReader, ByteWriter } from '../common/bytes';
import { decoder, fail } from '../common/decode';
import { type Avp, readAvps, writeAvp } from './avp';
import { HDR_L, HDR_O, HDR_P, HDR_S, HDR_T, HDR_VERSION_MASK, L2TP_VERSION } from './constants';

export const CONTROL_HEADER_LENGTH = 12;
/** Offset of Nr inside an encoded control message (patched on retransmission, §5.8). */
export const CONTROL_NR_OFFSET = 10;

export interface ControlMessage {
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly ns: number;
  readonly nr: number;
  /** Empty for a ZLB acknowledgement (§5.8). Otherwise the first AVP is the Message Type (§4.4.1). */
  readonly avps: readonly Avp[];
}

/** True when the datagram's T bit marks it as a control message (data messages have T = 0). */
export function isControlDatagram(bytes: Uint8Array): boolean {
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0;
}

/** The Message Type, or null for a ZLB. */
export function messageTypeOf(msg: ControlMessage): number | null {
  const first = msg.avps[0];
  return first?.name === 'messageType' ? first.value : null;
}

export const decodeControlMessage = decoder((bytes: Uint8Array): ControlMessage => {
  const r = new ByteReader(bytes);
  const flags = r.u16('flags');
  if ((flags & HDR_T) === 0) fail('invalid', 'T bit clear: not a control message', 0);
  if ((flags & HDR_VERSION_MASK) !== L2TP_VERSION)
    fail('unsupported', `L2TP version ${flags & HDR_VERSION_MASK}`, 1);
  // §3.1: control messages MUST carry Length and Sequence and MUST NOT carry Offset or Priority.
  if ((flags & HDR_L) === 0 || (flags & HDR_S) === 0)
    fail('invalid', 'control message without L or S bit', 0);
  if ((flags & (HDR_O | HDR_P)) !== 0) fail('invalid', 'control message with O or P bit', 0);
  const length = r.u16('length');
  if (length < CONTROL_HEADER_LENGTH) fail('invalid', `length ${length} below header size`, 2);
  if (length > bytes.length) fail('truncated', `length ${length} exceeds datagram of ${bytes.length}`, 2);
  const tunnelId = r.u16('tunnel ID');
  const sessionId = r.u16('session ID');
  const ns = r.u16('Ns');
  const nr = r.u16('Nr');
  const avps = readAvps(r.sub(length - CONTROL_HEADER_LENGTH, 'AVPs'));
  if (avps.length > 0 && avps[0]!.name !== 'messageType')
    fail('invalid', 'first AVP is not a readable Message Type', CONTROL_HEADER_LENGTH);
  return { tunnelId, sessionId, ns, nr, avps };
});

export function encodeControlMessage(msg: ControlMessage): Uint8Array {
  const w = new ByteWriter(CONTROL_HEADER_LENGTH + 16 * msg.avps.length + 32);
  w.u16(HDR_T | HDR_L | HDR_S | L2TP_VERSION)
    .u16(0)
    .u16(msg.tunnelId)
    .u16(msg.sessionId)
    .u16(msg.ns)
    .u16(msg.nr);
  for (const a of msg.avps) writeAvp(w, a);
  if (w.length > 0xffff) throw new RangeError(`control message of ${w.length} octets`);
  w.patchU16(2, w.length);
  return w.finish();
}
