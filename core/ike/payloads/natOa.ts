/** NAT-OA payload (RFC 3947 §5.2, type 21; draft type 131): ID type (IPv4 or IPv6), 3 reserved bytes, address. */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';
import { IdType } from '../constants';
import { formatIpv4, ipv4Bytes } from '../ipv4';

export interface NatOaPayload {
  readonly kind: 'nat-oa';
  /** True for the draft payload type 131. */
  readonly draft: boolean;
  /** IdType.IPV4_ADDR (4-byte address) or IdType.IPV6_ADDR (16 bytes). */
  readonly idType: number;
  readonly address: Uint8Array;
}

export const decodeNatOaPayload = decoder((body: Uint8Array, draft: boolean): NatOaPayload => {
  const r = new ByteReader(body);
  const idType = r.u8('id type');
  r.skip(3, 'reserved');
  const want = idType === IdType.IPV4_ADDR ? 4 : idType === IdType.IPV6_ADDR ? 16 : -1;
  if (want < 0) fail('unsupported', `NAT-OA ID type ${idType}`, 0);
  if (r.remaining !== want)
    fail('invalid', `NAT-OA address of ${r.remaining} bytes for ID type ${idType}`, 4);
  return { kind: 'nat-oa', draft, idType, address: r.bytesCopy(want, 'address') };
});

export function encodeNatOaPayload(p: Omit<NatOaPayload, 'kind'>): Uint8Array {
  return new ByteWriter(4 + p.address.length).u8(p.idType).zeros(3).bytes(p.address).finish();
}

/** A NAT-OA payload carrying an IPv4 address (what Quick Mode sends as NAT-OAi/NAT-OAr). */
export function natOaIpv4(address: string, draft: boolean): NatOaPayload {
  return { kind: 'nat-oa', draft, idType: IdType.IPV4_ADDR, address: ipv4Bytes(address) };
}

export function natOaAddressText(p: NatOaPayload): string {
  return p.idType === IdType.IPV4_ADDR ? formatIpv4(p.address) : Buffer.from(p.address).toString('hex');
}
