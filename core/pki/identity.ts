/**
 * Whether a certificate speaks for an identity (RFC 4945 §3.1): a DN must equal the subject, an FQDN, an IPv4
 * address or an e-mail address must appear in subjectAltName (dNSName, iPAddress, rfc822Name). The subject's
 * CN is deliberately not consulted for names (RFC 4945 §3.1.2, as strongSwan does).
 */
import type { Certificate } from './certificate';
import { type DistinguishedName, formatDistinguishedName, namesEqual } from './names';

export type CertIdentity =
  | { readonly type: 'dn'; readonly dn: DistinguishedName }
  | { readonly type: 'fqdn'; readonly name: string }
  | { readonly type: 'ipv4'; readonly address: string }
  | { readonly type: 'email'; readonly address: string };

const lower = (s: string) => s.trim().replace(/\.$/, '').toLowerCase();

export function certificateHasIdentity(cert: Certificate, id: CertIdentity): boolean {
  switch (id.type) {
    case 'dn':
      return namesEqual(cert.subject, id.dn);
    case 'fqdn':
      return cert.subjectAltNames.some((a) => a.type === 'dns' && lower(a.value) === lower(id.name));
    case 'ipv4':
      return cert.subjectAltNames.some((a) => a.type === 'ip' && a.value === id.address);
    case 'email':
      return cert.subjectAltNames.some((a) => a.type === 'email' && lower(a.value) === lower(id.address));
  }
}

export function describeCertIdentity(id: CertIdentity): string {
  switch (id.type) {
    case 'dn':
      return `DN "${formatDistinguishedName(id.dn)}"`;
    case 'fqdn':
      return `FQDN ${id.name}`;
    case 'ipv4':
      return `IP ${id.address}`;
    case 'email':
      return `e-mail ${id.address}`;
  }
}
