/**
 * Checks a peer that authenticated with a signature (RFC 2409 §5.1, RFC 4945): its end-entity certificate from
 * the CERT payloads, the chain to the profile's CA, the key type against the negotiated method, the signature
 * over our HASH_R/HASH_I, and its identity (the ID payload must be in the certificate, and so must the profile's
 * remote ID). Each failure is a typed phase-1 error.
 */
import type { FerryError } from '../../common/errors';
import { err, ok, type Result } from '../../common/result';
import { Certificate } from '../../pki/certificate';
import { validateChain } from '../../pki/chain';
import { certificateHasIdentity, describeCertIdentity } from '../../pki/identity';
import { CertEncoding } from '../constants';
import {
  describeSignatureMethod,
  type SignatureMethod,
  signatureMethodFor,
  verifyAuthHash,
} from '../crypto/signature';
import { phase1Error } from '../errors';
import type { CertPayload } from '../payloads/certificate';
import { describeIdentity, type Identity } from '../payloads/identification';
import {
  describeRemoteIdentity,
  idPayloadCertIdentity,
  type RemoteIdentity,
  remoteCertIdentity,
} from '../peerIdentity';

export interface PeerTrust {
  /** The profile's CA certificate(s). */
  readonly anchors: readonly Certificate[];
  /** The profile's remote ID; without one any certificate from the CA whose ID payload it carries is accepted. */
  readonly remoteIdentity: RemoteIdentity | undefined;
  /** Wall-clock time for validity checks. */
  readonly now: () => Date;
}

export interface VerifiedPeer {
  readonly certificate: Certificate;
  /** End entity first, anchor last. */
  readonly path: readonly Certificate[];
}

export function verifyPeerSignature(
  trust: PeerTrust,
  method: SignatureMethod,
  certs: readonly CertPayload[],
  peerId: Identity,
  signature: Uint8Array,
  expectedHash: Uint8Array,
): Result<VerifiedPeer, FerryError> {
  const x509 = certs.filter((c) => c.encoding === CertEncoding.X509_SIGNATURE);
  if (x509.length === 0)
    return err(
      phase1Error(
        'server-cert-missing',
        certs.length
          ? `the server sent only certificates of encoding ${certs.map((c) => c.encoding).join(', ')}`
          : 'the server sent no certificate although we asked for one (CERT_REQ)',
      ),
    );
  const parsed: Certificate[] = [];
  for (const c of x509) {
    const p = Certificate.fromDer(c.data);
    if (!p.ok)
      return err(
        phase1Error('malformed-reply', `the server's certificate is unreadable: ${p.error.message}`),
      );
    parsed.push(p.value);
  }
  // RFC 4945 §3.3: the end-entity certificate comes first, intermediates after it.
  const leaf = parsed[0]!;
  const chain = validateChain(leaf, parsed.slice(1), trust.anchors, trust.now());
  if (!chain.ok) {
    const f = chain.failure;
    const code =
      f.problem === 'untrusted'
        ? 'server-cert-untrusted'
        : f.problem === 'expired' || f.problem === 'not-yet-valid'
          ? 'server-cert-expired'
          : 'server-cert-invalid';
    return err(phase1Error(code, `server certificate: ${f.message}`));
  }
  const keyMethod = signatureMethodFor(leaf.key);
  if (keyMethod !== method)
    return err(
      phase1Error(
        'bad-signature',
        `the server's ${leaf.key.label} key cannot make ${describeSignatureMethod(method)}, the negotiated method`,
      ),
    );
  if (!verifyAuthHash(method, leaf.publicKey, expectedHash, signature))
    return err(
      phase1Error(
        'bad-signature',
        `the server's signature (${describeSignatureMethod(method)}) does not verify`,
      ),
    );
  const claimed = idPayloadCertIdentity(peerId);
  if (!claimed || !certificateHasIdentity(leaf, claimed))
    return err(
      phase1Error(
        'invalid-id',
        `the server identified as ${describeIdentity(peerId)}, which its certificate (${leaf}) does not carry`,
      ),
    );
  if (trust.remoteIdentity) {
    const wanted = remoteCertIdentity(trust.remoteIdentity);
    if (!certificateHasIdentity(leaf, wanted))
      return err(
        phase1Error(
          'invalid-id',
          `the server's certificate (${leaf}) does not carry the profile's remote ID ${describeCertIdentity(wanted)} (${describeRemoteIdentity(trust.remoteIdentity)})`,
        ),
      );
  }
  return ok({ certificate: leaf, path: chain.path });
}
