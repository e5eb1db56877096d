/** NAT-D payload (RFC 3947 §3.2, type 20; draft-ietf-ipsec-nat-t-ike-02/03 type 130): one hash. */
import { decoder } from '../../common/decode';

export interface NatDPayload {
  readonly kind: 'nat-d';
  /** True for the draft payload type 130. */
  readonly draft: boolean;
  readonly hash: Uint8Array;
}

export const decodeNatDPayload = decoder(
  (body: Uint8Array, draft: boolean): NatDPayload => ({ kind: 'nat-d', draft, hash: body.slice() }),
);

export function encodeNatDPayload(p: Omit<NatDPayload, 'kind'>): Uint8Array {
  return p.hash.slice();
}
