/** Key Exchange payload (RFC 2408 §3.7; MODP: g^x padded to the prime length, ECP: x||y, RFC 5903 §7): the body is opaque data. */
import { decoder } from '../../common/decode';

export interface KePayload {
  readonly kind: 'ke';
  readonly data: Uint8Array;
}

export const decodeKePayload = decoder((body: Uint8Array): KePayload => ({ kind: 'ke', data: body.slice() }));

export function encodeKePayload(p: Omit<KePayload, 'kind'>): Uint8Array {
  return p.data.slice();
}
