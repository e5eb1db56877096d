/** ISAKMP header and the generic payload chain (RFC 2408 §3.1-§3.2). */
import { ByteReader, ByteWriter } from '../common/bytes';
import { decoder, fail } from '../common/decode';
import {
  GENERIC_HEADER_LENGTH,
  HeaderFlag,
  ISAKMP_HEADER_LENGTH,
  ISAKMP_VERSION,
  PayloadType,
} from './constants';
import { decodePayloadBody, encodePayloadBody, type Payload, payloadTypeOf } from './payloads/index';

export interface IsakmpHeader {
  readonly initiatorCookie: Uint8Array;
  readonly responderCookie: Uint8Array;
  readonly nextPayload: number;
  /** Major version in the high nibble, minor in the low one (0x10 = 1.0). */
  readonly version: number;
  readonly exchangeType: number;
  readonly flags: number;
  readonly messageId: number;
  /** Total message length from the header (header + payloads, or header + ciphertext). */
  readonly length: number;
}

/** One payload of a decoded chain, with the exact bytes it came from (hashes are computed over those). */
export interface ChainEntry {
  readonly payload: Payload;
  /** The critical bit (RFC 7296 §3.2 semantics; RFC 2408 calls the byte RESERVED). */
  readonly critical: boolean;
  /** The whole payload including its generic header. */
  readonly bytes: Uint8Array;
  /** The payload body without the generic header (e.g. "SAi_b", "IDir_b" in RFC 2409 §5). */
  readonly body: Uint8Array;
}

/** A payload to send; `critical` sets the critical bit. */
export type OutgoingPayload = Payload & { readonly critical?: boolean };

/** Most payloads a message may carry; more is hostile. */
export const MAX_PAYLOADS = 64;
const CRITICAL = 0x80;

export const decodeHeader = decoder((bytes: Uint8Array): IsakmpHeader => {
  const r = new ByteReader(bytes);
  const initiatorCookie = r.bytesCopy(8, 'initiator cookie');
  const responderCookie = r.bytesCopy(8, 'responder cookie');
  const nextPayload = r.u8('next payload');
  const version = r.u8('version');
  const exchangeType = r.u8('exchange type');
  const flags = r.u8('flags');
  const messageId = r.u32('message id');
  const length = r.u32('length');
  if (version >> 4 !== ISAKMP_VERSION >> 4) fail('unsupported', `ISAKMP major version ${version >> 4}`, 17);
  if (length < ISAKMP_HEADER_LENGTH)
    fail('invalid', `message length ${length} < ${ISAKMP_HEADER_LENGTH}`, 24);
  if (length > bytes.length) fail('truncated', `message length ${length} > datagram ${bytes.length}`, 24);
  return { initiatorCookie, responderCookie, nextPayload, version, exchangeType, flags, messageId, length };
});

/**
 * Walks a payload chain starting with payload type `first`. With `allowTrailing` (decrypted bodies), bytes after
 * the last payload are padding and ignored; otherwise they are an error.
 */
export const decodePayloadChain = decoder(
  (first: number, bytes: Uint8Array, allowTrailing = false): ChainEntry[] => {
    const r = new ByteReader(bytes);
    const out: ChainEntry[] = [];
    let type = first;
    while (type !== PayloadType.NONE) {
      if (out.length >= MAX_PAYLOADS) fail('too-large', `more than ${MAX_PAYLOADS} payloads`, r.offset);
      const start = r.offset;
      const next = r.u8('next payload');
      const flags = r.u8('payload flags');
      const len = r.u16('payload length');
      if (len < GENERIC_HEADER_LENGTH) fail('invalid', `payload length ${len} < 4`, start);
      if (len - GENERIC_HEADER_LENGTH > r.remaining)
        fail(
          'truncated',
          `payload type ${type}: length ${len} exceeds the ${r.remaining + 4} bytes left`,
          start,
        );
      const body = r.bytesView(len - GENERIC_HEADER_LENGTH, 'payload body');
      const decoded = decodePayloadBody(type, body);
      if (!decoded.ok)
        fail(decoded.error.code, `payload type ${type} at ${start}: ${decoded.error.message}`, start);
      out.push({
        payload: decoded.value,
        critical: (flags & CRITICAL) !== 0,
        bytes: bytes.subarray(start, start + len),
        body,
      });
      type = next;
    }
    if (!allowTrailing && r.remaining > 0)
      fail('invalid', `${r.remaining} bytes after the last payload`, r.offset);
    return out;
  },
);

/** Encodes payloads as a chain; returns the first payload's type and the bytes. */
export function encodePayloadChain(payloads: readonly OutgoingPayload[]): {
  first: number;
  bytes: Uint8Array;
} {
  const w = new ByteWriter(512);
  payloads.forEach((p, i) => {
    const body = encodePayloadBody(p);
    const len = body.length + GENERIC_HEADER_LENGTH;
    if (len > 0xffff) throw new RangeError(`payload ${p.kind} too long (${len})`);
    const next = i + 1 < payloads.length ? payloadTypeOf(payloads[i + 1]!) : PayloadType.NONE;
    w.u8(next)
      .u8(p.critical ? CRITICAL : 0)
      .u16(len)
      .bytes(body);
  });
  return { first: payloads.length ? payloadTypeOf(payloads[0]!) : PayloadType.NONE, bytes: w.finish() };
}

export interface HeaderFields {
  readonly initiatorCookie: Uint8Array;
  readonly responderCookie: Uint8Array;
  readonly exchangeType: number;
  readonly flags: number;
  readonly messageId: number;
}

/** Writes a header for a body of `bodyLength` bytes whose first payload is `nextPayload`. */
export function encodeHeader(h: HeaderFields, nextPayload: number, bodyLength: number): Uint8Array {
  if (h.initiatorCookie.length !== 8 || h.responderCookie.length !== 8)
    throw new RangeError('cookies are 8 bytes');
  return new ByteWriter(ISAKMP_HEADER_LENGTH)
    .bytes(h.initiatorCookie)
    .bytes(h.responderCookie)
    .u8(nextPayload)
    .u8(ISAKMP_VERSION)
    .u8(h.exchangeType)
    .u8(h.flags)
    .u32(h.messageId)
    .u32(ISAKMP_HEADER_LENGTH + bodyLength)
    .finish();
}

/** An unencrypted message: header + payload chain. */
export function encodeMessage(h: HeaderFields, payloads: readonly OutgoingPayload[]): Uint8Array {
  const chain = encodePayloadChain(payloads);
  const header = encodeHeader(
    { ...h, flags: h.flags & ~HeaderFlag.ENCRYPTION },
    chain.first,
    chain.bytes.length,
  );
  const out = new Uint8Array(header.length + chain.bytes.length);
  out.set(header);
  out.set(chain.bytes, header.length);
  return out;
}

export interface PlainMessage {
  readonly header: IsakmpHeader;
  readonly payloads: readonly ChainEntry[];
}

/** Decodes a message whose encryption flag is clear. */
export const decodePlainMessage = decoder((bytes: Uint8Array): PlainMessage => {
  const h = decodeHeader(bytes);
  if (!h.ok) fail(h.error.code, h.error.message, h.error.offset);
  const header = h.value;
  if (header.flags & HeaderFlag.ENCRYPTION) fail('invalid', 'message is encrypted', 19);
  const chain = decodePayloadChain(header.nextPayload, bytes.subarray(ISAKMP_HEADER_LENGTH, header.length));
  if (!chain.ok)
    fail(chain.error.code, chain.error.message, (chain.error.offset ?? 0) + ISAKMP_HEADER_LENGTH);
  return { header, payloads: chain.value };
});

/** Payloads of one kind from a decoded chain. */
export function payloadsOfKind<K extends Payload['kind']>(
  entries: readonly ChainEntry[],
  kind: K,
): (ChainEntry & { readonly payload: Extract<Payload, { kind: K }> })[] {
  return entries.filter((e) => e.payload.kind === kind) as (ChainEntry & {
    readonly payload: Extract<Payload, { kind: K }>;
  })[];
}

/** Unknown payloads with the critical bit set: a receiver must reject the message (RFC 7296 §2.5 semantics). */
export function unknownCriticalPayloads(entries: readonly ChainEntry[]): number[] {
  return entries
    .filter((e) => e.critical && e.payload.kind === 'unknown')
    .map((e) => (e.payload as { payloadType: number }).payloadType);
}
