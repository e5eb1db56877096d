/** Signature payload (RFC 2408 §3.12): the body is opaque data. */
import { decoder } from '../../common/decode';

export interface SignaturePayload {
  readonly kind: 'sig';
  readonly data: Uint8Array;
}

export const decodeSignaturePayload = decoder(
  (body: Uint8Array): SignaturePayload => ({ kind: 'sig', data: body.slice() }),
);

export function encodeSignaturePayload(p: Omit<SignaturePayload, 'kind'>): Uint8Array {
  return p.data.slice();
}
