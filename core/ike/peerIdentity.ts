/**
 * The server identity a profile expects (SPEC §3 remote ID) and how the server's ID payload is checked against it
 * (RFC 2407 §4.6.2.1 ID types). With a PSK the ID payload must name it; with certificates the certificate must
 * carry it too (core/ike/auth/peerCertificate.ts).
 */
import type { CertIdentity } from '../pki/identity';
import {
  type DistinguishedName,
  decodeDistinguishedName,
  formatDistinguishedName,
  namesEqual,
} from '../pki/names';
import type { Identity } from './payloads/identification';

export type RemoteIdentity =
  | { readonly type: 'ipv4'; readonly address: string }
  | { readonly type: 'fqdn'; readonly name: string }
  | { readonly type: 'user-fqdn'; readonly name: string }
  | { readonly type: 'dn'; readonly dn: DistinguishedName };

const fold = (s: string) => s.trim().replace(/\.$/, '').toLowerCase();

/** An ID-payload identity as a remote identity (an exact ID to expect); throws for types a profile cannot name. */
export function remoteIdentityOf(id: Identity | RemoteIdentity): RemoteIdentity {
  switch (id.type) {
    case 'ipv4':
    case 'fqdn':
    case 'user-fqdn':
    case 'dn':
      return id;
    case 'der-asn1-dn': {
      const dn = decodeDistinguishedName(id.der);
      if (!dn.ok) throw new RangeError(`remote ID: ${dn.error.message}`);
      return { type: 'dn', dn: dn.value };
    }
    default:
      throw new RangeError(`remote ID of type ${id.type} is not supported`);
  }
}

/** The ID payload names exactly this identity (names case-insensitively, DNs attribute-wise). */
export function idPayloadMatches(remote: RemoteIdentity, peer: Identity): boolean {
  switch (remote.type) {
    case 'ipv4':
      return peer.type === 'ipv4' && peer.address === remote.address;
    case 'fqdn':
      return peer.type === 'fqdn' && fold(peer.name) === fold(remote.name);
    case 'user-fqdn':
      return peer.type === 'user-fqdn' && fold(peer.name) === fold(remote.name);
    case 'dn': {
      if (peer.type !== 'der-asn1-dn') return false;
      const dn = decodeDistinguishedName(peer.der);
      return dn.ok && namesEqual(dn.value, remote.dn);
    }
  }
}

/** The identity a certificate must carry for the remote ID. */
export function remoteCertIdentity(remote: RemoteIdentity): CertIdentity {
  switch (remote.type) {
    case 'ipv4':
      return { type: 'ipv4', address: remote.address };
    case 'fqdn':
      return { type: 'fqdn', name: remote.name };
    case 'user-fqdn':
      return { type: 'email', address: remote.name };
    case 'dn':
      return { type: 'dn', dn: remote.dn };
  }
}

/** The identity an ID payload claims, in certificate terms; null for ID types a certificate cannot carry. */
export function idPayloadCertIdentity(peer: Identity): CertIdentity | null {
  switch (peer.type) {
    case 'ipv4':
      return { type: 'ipv4', address: peer.address };
    case 'fqdn':
      return { type: 'fqdn', name: peer.name };
    case 'user-fqdn':
      return { type: 'email', address: peer.name };
    case 'der-asn1-dn': {
      const dn = decodeDistinguishedName(peer.der);
      return dn.ok ? { type: 'dn', dn: dn.value } : null;
    }
    default:
      return null;
  }
}

export function describeRemoteIdentity(remote: RemoteIdentity): string {
  switch (remote.type) {
    case 'ipv4':
      return remote.address;
    case 'fqdn':
    case 'user-fqdn':
      return remote.name;
    case 'dn':
      return formatDistinguishedName(remote.dn);
  }
}
