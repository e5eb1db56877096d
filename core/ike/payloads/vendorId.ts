/** Vendor ID payload (RFC 2408 §3.16): the body is opaque data. */
import { decoder } from '../../common/decode';

export interface VendorIdPayload {
  readonly kind: 'vid';
  readonly data: Uint8Array;
}

export const decodeVendorIdPayload = decoder(
  (body: Uint8Array): VendorIdPayload => ({ kind: 'vid', data: body.slice() }),
);

export function encodeVendorIdPayload(p: Omit<VendorIdPayload, 'kind'>): Uint8Array {
  return p.data.slice();
}
