/**
 * What a profile asks of IKE and ESP: its proposal strings (SPEC §2) mapped to the IKE and ESP vocabularies,
 * its machine authentication (PSK, or client certificate + CA, SPEC §3) and its remote ID.
 */
import type { FerryError } from '../common/errors';
import { err, ok, type Result } from '../common/result';
import { type EspTransform, espTransformFromProposal } from '../esp/transforms';
import type { SignatureAuthOptions } from '../ike/auth/authenticator';
import type { DhGroupName } from '../ike/crypto/dh';
import { phase1Error } from '../ike/errors';
import type { RemoteIdentity } from '../ike/peerIdentity';
import type { Phase1Proposal } from '../ike/proposals';
import { type ClientCredentials, parseCertificates, parseClientCredentials } from '../pki/credentials';
import { parseDistinguishedName } from '../pki/names';
import { parsePhase1, parsePhase2 } from '../profile/algorithms';
import { effectiveProposals, type Profile } from '../profile/schema';

export interface IpsecPolicy {
  readonly phase1: readonly Phase1Proposal[];
  readonly esp: readonly EspTransform[];
  readonly pfsGroup: DhGroupName | null;
  readonly phase2LifetimeSeconds: number;
  readonly legacy: boolean;
}

/** Throws only for strings the profile schema would have refused (a programming error, not user input). */
export function ipsecPolicy(profile: Profile): IpsecPolicy {
  const eff = effectiveProposals(profile);
  const a = profile.algorithms;
  const phase1 = eff.phase1.map((s): Phase1Proposal => {
    const p = parsePhase1(s);
    if (!p) throw new Error(`profile has an invalid phase-1 proposal: ${s}`);
    return { encryption: p.cipher, hash: p.prf, group: p.group, lifetimeSeconds: a.phase1LifetimeSeconds };
  });
  const esp = eff.phase2.map((s): EspTransform => {
    const p = parsePhase2(s);
    const t = p && espTransformFromProposal(p);
    if (!t) throw new Error(`profile has an invalid phase-2 proposal: ${s}`);
    return t;
  });
  return {
    phase1,
    esp,
    pfsGroup: eff.pfsGroup ?? null,
    phase2LifetimeSeconds: a.phase2LifetimeSeconds,
    legacy: a.legacy,
  };
}

/** The profile's remote ID in IKE terms; a DN that does not parse is a profile error. */
export function profileRemoteIdentity(profile: Profile): Result<RemoteIdentity | undefined, FerryError> {
  const r = profile.remoteId;
  if (!r) return ok(undefined);
  switch (r.type) {
    case 'ipv4':
      return ok({ type: 'ipv4', address: r.value });
    case 'fqdn':
      return ok({ type: 'fqdn', name: r.value });
    case 'user-fqdn':
      return ok({ type: 'user-fqdn', name: r.value });
    case 'dn': {
      const dn = parseDistinguishedName(r.value);
      return dn
        ? ok({ type: 'dn', dn })
        : err(
            phase1Error(
              'invalid-id',
              `the profile's remote ID "${r.value}" is not a distinguished name like "O=Example, CN=vpn.example.com"`,
            ),
          );
    }
  }
}

/** Machine authentication material for phase 1, from the profile and the secret it names. */
export type MachineAuth =
  | { readonly method: 'psk'; readonly psk: Uint8Array }
  | { readonly method: 'certificate'; readonly certificate: SignatureAuthOptions };

const utf8 = new TextEncoder();

/**
 * Builds phase-1 authentication: the PSK, or our credentials (a ClientCredentials or the secret-store bundle),
 * the profile's CA and remote ID. Our own certificate must be valid now: a server would refuse it anyway.
 */
export function machineAuth(
  profile: Profile,
  secret: { readonly psk?: string | Uint8Array; readonly credentials?: ClientCredentials | string },
  now: () => Date,
): Result<MachineAuth, FerryError> {
  const ma = profile.machineAuth;
  if (ma.method === 'psk') {
    if (secret.psk === undefined)
      return err(phase1Error('auth-failed', 'no pre-shared key was given for this profile'));
    return ok({ method: 'psk', psk: typeof secret.psk === 'string' ? utf8.encode(secret.psk) : secret.psk });
  }
  const remote = profileRemoteIdentity(profile);
  if (!remote.ok) return remote;
  const given = secret.credentials;
  if (given === undefined)
    return err(
      phase1Error('client-certificate', 'no client certificate and key are stored for this profile'),
    );
  const creds = typeof given === 'string' ? parseClientCredentials(given, ma.clientCertificate) : ok(given);
  if (!creds.ok) return err(phase1Error('client-certificate', creds.error.message, creds.error));
  if (creds.value.certificate.fingerprintSha256 !== ma.clientCertificate.toLowerCase())
    return err(phase1Error('client-certificate', 'the client certificate is not the one the profile names'));
  const validity = creds.value.certificate.validAt(now());
  if (validity !== 'valid')
    return err(
      phase1Error(
        'client-certificate',
        validity === 'expired'
          ? `our client certificate expired on ${creds.value.certificate.notAfter.toISOString()}`
          : `our client certificate is valid only from ${creds.value.certificate.notBefore.toISOString()}`,
      ),
    );
  const anchors = parseCertificates(ma.caCertificatePem);
  if (!anchors.ok)
    return err(
      phase1Error('server-cert-untrusted', `the profile's CA certificate: ${anchors.error.message}`),
    );
  return ok({
    method: 'certificate',
    certificate: {
      credentials: creds.value,
      trust: { anchors: anchors.value, remoteIdentity: remote.value, now },
    },
  });
}

/** The secret-store kind holding a profile's machine secret: the PSK, or the client key + certificate bundle. */
export function machineSecretKind(profile: Profile): 'psk' | 'client-key' {
  return profile.machineAuth.method === 'psk' ? 'psk' : 'client-key';
}

/** The carrier option for that secret's value (for hosts that read it from the secret store). */
export function machineSecretOption(
  profile: Profile,
  secret: string,
): { readonly psk: string } | { readonly clientCredentials: string } {
  return profile.machineAuth.method === 'psk' ? { psk: secret } : { clientCredentials: secret };
}
