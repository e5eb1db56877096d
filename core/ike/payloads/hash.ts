/** Hash payload (RFC 2408 §3.11): the body is opaque data. */
import { decoder } from '../../common/decode';

export interface HashPayload {
  readonly kind: 'hash';
  readonly data: Uint8Array;
}

export const decodeHashPayload = decoder(
  (body: Uint8Array): HashPayload => ({ kind: 'hash', data: body.slice() }),
);

export function encodeHashPayload(p: Omit<HashPayload, 'kind'>): Uint8Array {
  return p.data.slice();
}
