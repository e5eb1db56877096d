/** Identification payload (RFC 2408 §3.8, IPsec DOI RFC 2407 §4.6.2): ID type, protocol, port, data. */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';
import { decodeDistinguishedName, formatDistinguishedName } from '../../pki/names';
import { IdType } from '../constants';
import { formatIpv4, ipv4Bytes } from '../ipv4';

export type Identity =
  | { readonly type: 'ipv4'; readonly address: string }
  | { readonly type: 'fqdn'; readonly name: string }
  | { readonly type: 'user-fqdn'; readonly name: string }
  | { readonly type: 'ipv4-subnet'; readonly address: string; readonly mask: string }
  | { readonly type: 'der-asn1-dn'; readonly der: Uint8Array }
  /** Any other ID type (IPv6, ranges, KEY_ID, ...) kept as raw data. */
  | { readonly type: 'other'; readonly idType: number; readonly data: Uint8Array };

export interface Identification {
  readonly identity: Identity;
  /** IP protocol (0 = any), RFC 2407 §4.6.2. */
  readonly protocol: number;
  /** Port (0 = any). */
  readonly port: number;
}

export interface IdPayload extends Identification {
  readonly kind: 'id';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

/** Reads ID data of a given ID type (shared with NAT-OA). */
export function readIdentity(idType: number, data: Uint8Array): Identity {
  switch (idType) {
    case IdType.IPV4_ADDR:
      if (data.length !== 4) fail('invalid', `ID_IPV4_ADDR with ${data.length} bytes`);
      return { type: 'ipv4', address: formatIpv4(data) };
    case IdType.IPV4_ADDR_SUBNET:
      if (data.length !== 8) fail('invalid', `ID_IPV4_ADDR_SUBNET with ${data.length} bytes`);
      return { type: 'ipv4-subnet', address: formatIpv4(data), mask: formatIpv4(data.subarray(4)) };
    case IdType.FQDN:
    case IdType.USER_FQDN: {
      let name: string;
      try {
        name = utf8.decode(data);
      } catch {
        fail('invalid', 'identity name is not UTF-8');
      }
      return idType === IdType.FQDN ? { type: 'fqdn', name } : { type: 'user-fqdn', name };
    }
    case IdType.DER_ASN1_DN:
      return { type: 'der-asn1-dn', der: data.slice() };
    default:
      return { type: 'other', idType, data: data.slice() };
  }
}

/** ID type number and data bytes of an identity. */
export function identityData(id: Identity): { idType: number; data: Uint8Array } {
  switch (id.type) {
    case 'ipv4':
      return { idType: IdType.IPV4_ADDR, data: ipv4Bytes(id.address) };
    case 'ipv4-subnet': {
      const d = new Uint8Array(8);
      d.set(ipv4Bytes(id.address));
      d.set(ipv4Bytes(id.mask), 4);
      return { idType: IdType.IPV4_ADDR_SUBNET, data: d };
    }
    case 'fqdn':
      return { idType: IdType.FQDN, data: utf8enc.encode(id.name) };
    case 'user-fqdn':
      return { idType: IdType.USER_FQDN, data: utf8enc.encode(id.name) };
    case 'der-asn1-dn':
      return { idType: IdType.DER_ASN1_DN, data: id.der };
    case 'other':
      return { idType: id.idType, data: id.data };
  }
}

export const decodeIdPayload = decoder((body: Uint8Array): IdPayload => {
  const r = new ByteReader(body);
  const idType = r.u8('id type');
  const protocol = r.u8('protocol id');
  const port = r.u16('port');
  return { kind: 'id', identity: readIdentity(idType, r.rest()), protocol, port };
});

/** The ID payload body ("IDii_b" in RFC 2409 §5: the payload without its generic header). */
export function encodeIdPayload(p: Identification): Uint8Array {
  const { idType, data } = identityData(p.identity);
  return new ByteWriter(4 + data.length).u8(idType).u8(p.protocol).u16(p.port).bytes(data).finish();
}

/** Equality of identities, for checking the peer's ID against a configured remote ID. */
export function identitiesEqual(a: Identity, b: Identity): boolean {
  const x = identityData(a);
  const y = identityData(b);
  return x.idType === y.idType && Buffer.compare(x.data, y.data) === 0;
}

/** Human-readable form for logs and diagnostics. */
export function describeIdentity(id: Identity): string {
  switch (id.type) {
    case 'ipv4':
      return id.address;
    case 'ipv4-subnet':
      return `${id.address}/${id.mask}`;
    case 'fqdn':
      return id.name;
    case 'user-fqdn':
      return id.name;
    case 'der-asn1-dn': {
      const dn = decodeDistinguishedName(id.der);
      return dn.ok ? `DN "${formatDistinguishedName(dn.value)}"` : `DN(${id.der.length} bytes)`;
    }
    case 'other':
      return `ID type ${id.idType} (${id.data.length} bytes)`;
  }
}
