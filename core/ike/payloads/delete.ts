/** Delete payload (RFC 2408 §3.15): DOI, protocol, SPI size, SPI count, SPIs. */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';

export interface DeletePayload {
  readonly kind: 'delete';
  readonly doi: number;
  readonly protocol: number;
  /** Kept explicitly so a delete with no SPIs round-trips (16 for ISAKMP cookie pairs, 4 for ESP). */
  readonly spiSize: number;
  readonly spis: readonly Uint8Array[];
}

export const decodeDeletePayload = decoder((body: Uint8Array): DeletePayload => {
  const r = new ByteReader(body);
  const doi = r.u32('doi');
  const protocol = r.u8('protocol id');
  const spiSize = r.u8('spi size');
  const count = r.u16('spi count');
  if (r.remaining !== spiSize * count)
    fail(
      'invalid',
      `delete: ${count} SPIs of ${spiSize} bytes need ${spiSize * count}, have ${r.remaining}`,
      8,
    );
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) spis.push(r.bytesCopy(spiSize, 'spi'));
  return { kind: 'delete', doi, protocol, spiSize, spis };
});

export function encodeDeletePayload(p: Omit<DeletePayload, 'kind'>): Uint8Array {
  if (p.spis.length > 0xffff) throw new RangeError('too many SPIs');
  const w = new ByteWriter(8 + p.spiSize * p.spis.length)
    .u32(p.doi)
    .u8(p.protocol)
    .u8(p.spiSize)
    .u16(p.spis.length);
  for (const s of p.spis) {
    if (s.length !== p.spiSize)
      throw new RangeError(`SPI of ${s.length} bytes in a delete of size ${p.spiSize}`);
    w.bytes(s);
  }
  return w.finish();
}
