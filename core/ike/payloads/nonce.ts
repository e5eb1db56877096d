/** Nonce payload (RFC 2408 §3.13): the body is opaque data. */
import { decoder } from '../../common/decode';

export interface NoncePayload {
  readonly kind: 'nonce';
  readonly data: Uint8Array;
}

export const decodeNoncePayload = decoder(
  (body: Uint8Array): NoncePayload => ({ kind: 'nonce', data: body.slice() }),
);

export function encodeNoncePayload(p: Omit<NoncePayload, 'kind'>): Uint8Array {
  return p.data.slice();
}
