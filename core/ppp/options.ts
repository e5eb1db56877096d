/** Configuration options: type-length-value, Length counting the 2-byte header (RFC 1661 §6). */
import { ByteReader, ByteWriter } from '../common/bytes';
import { decoder, fail } from '../common/decode';

export interface ConfigOption {
  readonly type: number;
  readonly data: Uint8Array;
}

/** Parses a Configure-Request/Ack/Nak/Reject body; a Length below 2 or past the end refuses the whole list. */
export const decodeOptions = decoder((bytes: Uint8Array): ConfigOption[] => {
  const r = new ByteReader(bytes);
  const out: ConfigOption[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const type = r.u8('option type');
    const length = r.u8('option length');
    if (length < 2) fail('invalid', `option ${type} has length ${length}`, at + 1);
    out.push({ type, data: r.bytesView(length - 2, `option ${type}`) });
  }
  return out;
});

export function encodeOptions(options: readonly ConfigOption[]): Uint8Array {
  const w = new ByteWriter(64);
  for (const o of options) {
    if (o.data.length > 253) throw new RangeError(`option ${o.type} data too long`);
    w.u8(o.type)
      .u8(o.data.length + 2)
      .bytes(o.data);
  }
  return w.finish();
}

export const option = (type: number, data: Uint8Array = new Uint8Array(0)): ConfigOption => ({ type, data });

export function u16Option(type: number, v: number): ConfigOption {
  return option(type, Uint8Array.of(v >> 8, v & 0xff));
}

export function u32Option(type: number, v: number): ConfigOption {
  return option(type, Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
}

export function readU16(data: Uint8Array): number {
  return (data[0]! << 8) | data[1]!;
}

export function readU32(data: Uint8Array): number {
  return ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
}

export function ipv4ToString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
