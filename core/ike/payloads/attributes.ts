/** SA data attributes (RFC 2408 §3.3): TV (AF=1, 2-byte value) or TLV (AF=0, variable length). */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';

export type DataAttribute =
  | { readonly type: number; readonly format: 'tv'; readonly value: number }
  | { readonly type: number; readonly format: 'tlv'; readonly value: Uint8Array };

const AF = 0x8000;

/** Reads attributes until the reader is exhausted. */
export function readAttributes(r: ByteReader): DataAttribute[] {
  const out: DataAttribute[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const word = r.u16('attribute type');
    const type = word & 0x7fff;
    if (word & AF) {
      out.push({ type, format: 'tv', value: r.u16('attribute value') });
    } else {
      const len = r.u16('attribute length');
      if (len > r.remaining) fail('truncated', `attribute ${type}: length ${len} exceeds ${r.remaining}`, at);
      out.push({ type, format: 'tlv', value: r.bytesCopy(len, 'attribute value') });
    }
  }
  return out;
}

export function writeAttributes(w: ByteWriter, attrs: readonly DataAttribute[]): void {
  for (const a of attrs) {
    if (a.type < 0 || a.type > 0x7fff) throw new RangeError(`attribute type ${a.type} out of range`);
    if (a.format === 'tv') {
      w.u16(AF | a.type).u16(a.value & 0xffff);
    } else {
      if (a.value.length > 0xffff) throw new RangeError('attribute value too long');
      w.u16(a.type).u16(a.value.length).bytes(a.value);
    }
  }
}

export function encodeAttributes(attrs: readonly DataAttribute[]): Uint8Array {
  const w = new ByteWriter(64);
  writeAttributes(w, attrs);
  return w.finish();
}

export const decodeAttributes = decoder((bytes: Uint8Array): DataAttribute[] =>
  readAttributes(new ByteReader(bytes)),
);

/** A TV attribute (basic, value < 2^16). */
export function basicAttribute(type: number, value: number): DataAttribute {
  return { type, format: 'tv', value };
}

/**
 * A numeric attribute in the shortest form: TV when it fits 16 bits, else TLV with 4 bytes
 * (RFC 2408 §3.3; life durations are "variable length" and may be either).
 */
export function numberAttribute(type: number, value: number): DataAttribute {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`bad value ${value}`);
  if (value <= 0xffff) return basicAttribute(type, value);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value);
  return { type, format: 'tlv', value: b };
}

/** The numeric value of an attribute (TV, or a big-endian TLV of at most 6 bytes), else undefined. */
export function attributeNumber(a: DataAttribute): number | undefined {
  if (a.format === 'tv') return a.value;
  if (a.value.length === 0 || a.value.length > 6) {
    // Longer values are allowed if their high bytes are zero.
    const lead = a.value.length - 6;
    if (a.value.length === 0 || a.value.subarray(0, lead).some((x) => x !== 0)) return undefined;
    return attributeNumber({ type: a.type, format: 'tlv', value: a.value.subarray(lead) });
  }
  let n = 0;
  for (const x of a.value) n = n * 256 + x;
  return n;
}

/** First attribute of `type`, if any. */
export function findAttribute(attrs: readonly DataAttribute[], type: number): DataAttribute | undefined {
  return attrs.find((a) => a.type === type);
}
