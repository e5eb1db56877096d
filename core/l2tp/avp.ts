/** AVP framing and typed AVPs (RFC 2661 §4.1). Ferry never sends hidden AVPs (§4.3): the encoder refuses them. */
import { ByteReader, ByteWriter } from '../common/bytes';
import { DecodeFailure, decoder, fail } from '../common/decode';
import { AVP_BY_ATTRIBUTE, AVP_SPECS, type AvpName, type AvpValues } from './avpValues';
import {
  AVP_H,
  AVP_HEADER_LENGTH,
  AVP_LENGTH_MASK,
  AVP_M,
  AVP_MAX_VALUE_LENGTH,
  AVP_RESERVED,
} from './constants';

/** An AVP Ferry understands (vendor ID 0, not hidden, well-formed value). */
export type KnownAvp = {
  [K in AvpName]: { readonly name: K; readonly mandatory: boolean; readonly value: AvpValues[K] };
}[AvpName];

/**
 * An AVP kept as bytes: an unknown attribute (or vendor), a hidden AVP (no tunnel secret to decrypt it),
 * a known attribute whose value does not parse, or one with reserved header bits set (§4.1: treated as
 * unrecognised). The M bit decides whether its presence fails the message (§4.2).
 */
export interface OpaqueAvp {
  readonly name: 'opaque';
  readonly mandatory: boolean;
  readonly hidden: boolean;
  readonly reservedBits: number;
  readonly vendorId: number;
  readonly attribute: number;
  readonly value: Uint8Array;
  readonly why: 'unknown' | 'hidden' | 'malformed' | 'reserved-bits';
  readonly reason?: string;
}

export type Avp = KnownAvp | OpaqueAvp;

/** A known AVP with the M bit Ferry sends for it by default. */
export function avp<K extends AvpName>(name: K, value: AvpValues[K], mandatory?: boolean): KnownAvp {
  return { name, value, mandatory: mandatory ?? AVP_SPECS[name].mandatory } as KnownAvp;
}

/** The value of the first AVP called `name`, or undefined. */
export function findAvp<K extends AvpName>(avps: readonly Avp[], name: K): AvpValues[K] | undefined {
  for (const a of avps) if (a.name === name) return a.value as AvpValues[K];
  return undefined;
}

/** Human label of an AVP for logs and error messages. */
export function avpLabel(a: Avp): string {
  if (a.name !== 'opaque') return AVP_SPECS[a.name].label;
  const known = a.vendorId === 0 ? AVP_BY_ATTRIBUTE.get(a.attribute) : undefined;
  const base = known ? AVP_SPECS[known].label : `attribute ${a.attribute}`;
  return a.vendorId === 0 ? base : `vendor ${a.vendorId} ${base}`;
}

function typed(flags: number, vendorId: number, attribute: number, value: Uint8Array): Avp {
  const mandatory = (flags & AVP_M) !== 0;
  const hidden = (flags & AVP_H) !== 0;
  const reservedBits = (flags & AVP_RESERVED) >> 10;
  const opaque = (why: OpaqueAvp['why'], reason?: string): OpaqueAvp => ({
    name: 'opaque',
    mandatory,
    hidden,
    reservedBits,
    vendorId,
    attribute,
    value: value.slice(),
    why,
    ...(reason === undefined ? {} : { reason }),
  });
  if (hidden) return opaque('hidden');
  if (reservedBits !== 0) return opaque('reserved-bits');
  const name = vendorId === 0 ? AVP_BY_ATTRIBUTE.get(attribute) : undefined;
  if (name === undefined) return opaque('unknown');
  try {
    const v = AVP_SPECS[name].decode(new ByteReader(value));
    return { name, mandatory, value: v } as KnownAvp;
  } catch (e) {
    if (e instanceof DecodeFailure) return opaque('malformed', e.message);
    throw e;
  }
}

/** Parses AVPs until the reader is exhausted; framing errors fail the whole list. */
export function readAvps(r: ByteReader): Avp[] {
  const out: Avp[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const flags = r.u16('AVP flags/length');
    const length = flags & AVP_LENGTH_MASK;
    if (length < AVP_HEADER_LENGTH) fail('invalid', `AVP length ${length} below header size`, at);
    const vendorId = r.u16('AVP vendor ID');
    const attribute = r.u16('AVP attribute type');
    const value = r.bytesView(length - AVP_HEADER_LENGTH, 'AVP value');
    out.push(typed(flags, vendorId, attribute, value));
  }
  return out;
}

/** Total decoder of an AVP list (the body of a control message). */
export const decodeAvps = decoder((bytes: Uint8Array): Avp[] => readAvps(new ByteReader(bytes)));

/** Appends one AVP. Throws on a hidden AVP or an oversized value: both are programming errors. */
export function writeAvp(w: ByteWriter, a: Avp): void {
  const start = w.length;
  w.u16(0);
  if (a.name === 'opaque') {
    if (a.hidden) throw new Error(`refusing to send hidden AVP ${a.attribute}`);
    w.u16(a.vendorId).u16(a.attribute).bytes(a.value);
  } else {
    const s = AVP_SPECS[a.name];
    w.u16(0).u16(s.attribute);
    (s.encode as (w: ByteWriter, v: unknown) => void)(w, a.value);
  }
  const length = w.length - start;
  if (length - AVP_HEADER_LENGTH > AVP_MAX_VALUE_LENGTH)
    throw new RangeError(`AVP ${avpLabel(a)} value of ${length - AVP_HEADER_LENGTH} octets exceeds 1017`);
  const reserved = a.name === 'opaque' ? (a.reservedBits & 0xf) << 10 : 0;
  w.patchU16(start, (a.mandatory ? AVP_M : 0) | reserved | length);
}

export function encodeAvps(avps: readonly Avp[]): Uint8Array {
  const w = new ByteWriter(128);
  for (const a of avps) writeAvp(w, a);
  return w.finish();
}
