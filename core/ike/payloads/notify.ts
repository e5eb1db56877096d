/** Notification payload (RFC 2408 §3.14): DOI, protocol, SPI, notify message type, data. */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder } from '../../common/decode';

export interface NotifyPayload {
  readonly kind: 'notify';
  readonly doi: number;
  readonly protocol: number;
  readonly spi: Uint8Array;
  readonly type: number;
  readonly data: Uint8Array;
}

export const decodeNotifyPayload = decoder((body: Uint8Array): NotifyPayload => {
  const r = new ByteReader(body);
  const doi = r.u32('doi');
  const protocol = r.u8('protocol id');
  const spiSize = r.u8('spi size');
  const type = r.u16('notify type');
  const spi = r.bytesCopy(spiSize, 'spi');
  return { kind: 'notify', doi, protocol, spi, type, data: r.rest().slice() };
});

export function encodeNotifyPayload(p: Omit<NotifyPayload, 'kind'>): Uint8Array {
  if (p.spi.length > 255) throw new RangeError('notify SPI too long');
  return new ByteWriter(12 + p.spi.length + p.data.length)
    .u32(p.doi)
    .u8(p.protocol)
    .u8(p.spi.length)
    .u16(p.type)
    .bytes(p.spi)
    .bytes(p.data)
    .finish();
}
