/**
 * How phase 1 authenticates (RFC 2409 §5): with a pre-shared key (HASH_I/HASH_R prove knowledge of SKEYID) or
 * with signatures (§5.1: CERT + SIG over HASH_I/HASH_R). Main Mode asks the authenticator for SKEYID, for the
 * proof it sends after its ID, and to check the peer's proof; the exchange itself does not care which it is.
 */

import { equalBytes } from '../../common/bytes';
import type { FerryError } from '../../common/errors';
import { err, ok, type Result } from '../../common/result';
import type { ClientCredentials } from '../../pki/credentials';
import { AuthMethod, CertEncoding } from '../constants';
import type { HashAlgorithm } from '../crypto/hash';
import { skeyidPsk } from '../crypto/keys';
import {
  authPrfHash,
  describeSignatureMethod,
  type SignatureMethod,
  signAuthHash,
  signatureMethodFor,
  skeyidSignature,
} from '../crypto/signature';
import { phase1Error } from '../errors';
import { type ChainEntry, type OutgoingPayload, payloadsOfKind } from '../message';
import type { Identification, Identity } from '../payloads/identification';
import { describeRemoteIdentity, idPayloadMatches, type RemoteIdentity } from '../peerIdentity';
import { type PeerTrust, type VerifiedPeer, verifyPeerSignature } from './peerCertificate';

export interface Phase1Authenticator {
  readonly kind: 'psk' | 'signature';
  /** The Authentication Method attribute of every transform we offer or accept (RFC 2409 App. A). */
  readonly method: number;
  /** SKEYID (RFC 2409 §5). */
  skeyid(hash: HashAlgorithm, ni: Uint8Array, nr: Uint8Array, gxy: Uint8Array): Uint8Array;
  /** The PRF for HASH_I/HASH_R given the negotiated hash. */
  authHash(negotiated: HashAlgorithm): HashAlgorithm;
  /** Our ID for MM5/MM6 when none is configured; null to use the default (our IPv4 address). */
  defaultLocalId(): Identification | null;
  /** Payloads MM3 (initiator) or MM4 (responder) carry besides KE, nonce and NAT-D: CERT_REQ for our CA. */
  certificateRequests(): OutgoingPayload[];
  /** What follows our ID payload: [HASH] or [CERT..., SIG] over `ownHash`. */
  proof(ownHash: Uint8Array): OutgoingPayload[];
  /** Checks the peer's proof after its ID payload against the HASH we expect from it. */
  verify(
    entries: readonly ChainEntry[],
    peerId: Identity,
    expectedHash: Uint8Array,
  ): Result<VerifiedPeer | null, FerryError>;
  /** For diagnostics: "pre-shared key" or "RSA signatures" etc. */
  readonly description: string;
}

/** PSK: SKEYID = prf(pre-shared-key, Ni_b | Nr_b); the HASH payload is the proof. */
export function pskAuthenticator(psk: Uint8Array, remote: RemoteIdentity | undefined): Phase1Authenticator {
  return {
    kind: 'psk',
    method: AuthMethod.PRE_SHARED_KEY,
    description: 'pre-shared key',
    skeyid: (hash, ni, nr) => skeyidPsk(hash, psk, ni, nr),
    authHash: (negotiated) => negotiated,
    defaultLocalId: () => null,
    certificateRequests: () => [],
    proof: (ownHash) => [{ kind: 'hash', data: ownHash }],
    verify: (entries, peerId, expectedHash) => {
      const hashes = payloadsOfKind(entries, 'hash');
      if (hashes.length !== 1)
        return err(phase1Error('malformed-reply', `${hashes.length} hash payloads where one was expected`));
      // Constant-time comparison (RFC 2409 §5).
      if (!equalBytes(hashes[0]!.payload.data, expectedHash))
        return err(phase1Error('auth-failed', 'authentication failed (HASH_R mismatch)'));
      if (remote && !idPayloadMatches(remote, peerId))
        return err(
          phase1Error(
            'invalid-id',
            `server identified as ${describePeer(peerId)}, expected ${describeRemoteIdentity(remote)}`,
          ),
        );
      return ok(null);
    },
  };
}

function describePeer(id: Identity): string {
  return id.type === 'ipv4' ? id.address : id.type === 'fqdn' || id.type === 'user-fqdn' ? id.name : id.type;
}

export interface SignatureAuthOptions {
  readonly credentials: ClientCredentials;
  readonly trust: PeerTrust;
  /** Send the CA's name in CERT_REQ so the server sends its certificate (strongSwan's default is "if asked"). */
  readonly sendCertificateRequest?: boolean;
}

/** Signatures: SKEYID = prf(Ni_b | Nr_b, g^xy); CERT and SIG are the proof (RFC 2409 §5.1, RFC 4754). */
export function signatureAuthenticator(o: SignatureAuthOptions): Phase1Authenticator {
  const own = o.credentials.certificate;
  const method = signatureMethodFor(own.key);
  if (method === null) throw new RangeError(`${own.key.label} keys cannot sign IKE messages`);
  const m: SignatureMethod = method;
  return {
    kind: 'signature',
    method: m,
    description: describeSignatureMethod(m),
    skeyid: (hash, ni, nr, gxy) => skeyidSignature(hash, ni, nr, gxy),
    authHash: (negotiated) => authPrfHash(m, negotiated),
    // RFC 4945 §3.1.5: the ID is the subject DN of the certificate we send.
    defaultLocalId: () => ({ identity: { type: 'der-asn1-dn', der: own.subjectDer }, protocol: 0, port: 0 }),
    certificateRequests: () =>
      o.sendCertificateRequest === false
        ? []
        : o.trust.anchors.map((a) => ({
            kind: 'cr',
            certType: CertEncoding.X509_SIGNATURE,
            authority: a.subjectDer,
          })),
    proof: (ownHash) => [
      { kind: 'cert', encoding: CertEncoding.X509_SIGNATURE, data: own.der },
      ...o.credentials.chain.map(
        (c): OutgoingPayload => ({ kind: 'cert', encoding: CertEncoding.X509_SIGNATURE, data: c.der }),
      ),
      { kind: 'sig', data: signAuthHash(m, o.credentials.privateKey, ownHash) },
    ],
    verify: (entries, peerId, expectedHash) => {
      const sigs = payloadsOfKind(entries, 'sig');
      if (sigs.length !== 1)
        return err(
          payloadsOfKind(entries, 'hash').length
            ? phase1Error(
                'malformed-reply',
                'the server answered with a HASH (pre-shared key) instead of a signature',
              )
            : phase1Error('malformed-reply', `${sigs.length} signature payloads where one was expected`),
        );
      const certs = payloadsOfKind(entries, 'cert').map((e) => e.payload);
      return verifyPeerSignature(o.trust, m, certs, peerId, sigs[0]!.payload.data, expectedHash);
    },
  };
}

/** The authenticator for an IKE SA's options: exactly one of `psk` and `certificate`. */
export function authenticatorFor(o: {
  readonly psk?: Uint8Array | undefined;
  readonly certificate?: SignatureAuthOptions | undefined;
  readonly remote?: RemoteIdentity | undefined;
}): Phase1Authenticator {
  if ((o.psk === undefined) === (o.certificate === undefined))
    throw new RangeError('give exactly one of psk and certificate');
  if (o.psk) return pskAuthenticator(o.psk, o.remote);
  const c = o.certificate!;
  return signatureAuthenticator({
    ...c,
    trust: { ...c.trust, remoteIdentity: c.trust.remoteIdentity ?? o.remote },
  });
}
