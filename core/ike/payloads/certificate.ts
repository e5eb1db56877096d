/** Certificate payload (RFC 2408 §3.9): encoding byte, then the certificate data. */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder } from '../../common/decode';

export interface CertPayload {
  readonly kind: 'cert';
  readonly encoding: number;
  readonly data: Uint8Array;
}

export const decodeCertPayload = decoder((body: Uint8Array): CertPayload => {
  const r = new ByteReader(body);
  const encoding = r.u8('certificate encoding');
  return { kind: 'cert', encoding, data: r.rest().slice() };
});

export function encodeCertPayload(p: Omit<CertPayload, 'kind'>): Uint8Array {
  return new ByteWriter(1 + p.data.length).u8(p.encoding).bytes(p.data).finish();
}
