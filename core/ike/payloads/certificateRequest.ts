/** Certificate Request payload (RFC 2408 §3.10): certificate type, then the authority (e.g. a DER DN). */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder } from '../../common/decode';

export interface CertRequestPayload {
  readonly kind: 'cr';
  readonly certType: number;
  readonly authority: Uint8Array;
}

export const decodeCertRequestPayload = decoder((body: Uint8Array): CertRequestPayload => {
  const r = new ByteReader(body);
  const certType = r.u8('certificate type');
  return { kind: 'cr', certType, authority: r.rest().slice() };
});

export function encodeCertRequestPayload(p: Omit<CertRequestPayload, 'kind'>): Uint8Array {
  return new ByteWriter(1 + p.authority.length).u8(p.certType).bytes(p.authority).finish();
}
