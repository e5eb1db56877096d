/** Phase-1 failures as FerryErrors with stable codes and human hints. Messages never carry secrets. */
import { FerryError } from '../common/errors';

export type Phase1ErrorCode =
  | 'no-proposal-chosen'
  | 'auth-failed'
  | 'timeout'
  | 'malformed-reply'
  | 'invalid-id'
  | 'nat-t-unsupported'
  | 'server-error'
  | 'aborted'
  | 'transport'
  /** Signature authentication (RFC 2409 §5.1): the server's certificate or signature failed a check. */
  | 'server-cert-missing'
  | 'server-cert-untrusted'
  | 'server-cert-expired'
  | 'server-cert-invalid'
  | 'bad-signature'
  /** The server refused our certificate or signature. */
  | 'certificate-rejected'
  /** Our client certificate or key cannot be used (missing, expired, wrong key type). */
  | 'client-certificate';

const HINTS: Readonly<Record<Phase1ErrorCode, string>> = {
  'no-proposal-chosen': 'enable legacy algorithms in the profile if the server needs 3DES/modp1024',
  'auth-failed': 'check the pre-shared key',
  timeout: 'check the address and that UDP 500/4500 are reachable',
  'malformed-reply':
    'the server sent a reply Ferry cannot use — check the server type and its IKEv1 settings',
  'invalid-id': "the server's identity does not match the profile's remote ID — check the remote ID setting",
  'nat-t-unsupported':
    'the server does not support NAT traversal (RFC 3947); Ferry needs UDP-encapsulated ESP — enable NAT-T on the server',
  'server-error': 'the server refused phase 1 — check its log for the reason',
  aborted: 'the connection attempt was cancelled',
  transport: 'could not use the network — check that UDP sockets can be opened',
  'server-cert-missing':
    'the server sent no certificate — check that the server is set up for certificate authentication',
  'server-cert-untrusted':
    "the server's certificate was not issued by the profile's CA — import the CA that signs the VPN server's certificate",
  'server-cert-expired':
    "the server's certificate (or its CA) is expired or not yet valid — tell the server's administrator, and check this computer's date and time",
  'server-cert-invalid':
    "the server's certificate may not be used for IKE (key usage or CA constraints) — tell the server's administrator",
  'bad-signature':
    "the server's signature did not verify — the server does not hold the key of the certificate it sent; tell its administrator",
  'certificate-rejected':
    'the server refused our client certificate — check that it was issued by a CA the server trusts and has not expired',
  'client-certificate': 'import a valid client certificate with its private key (PKCS#12) into the profile',
};

const SIGNATURE_NO_PROPOSAL =
  'the server accepts none of our proposals — check that it uses certificate (not pre-shared key) authentication, ' +
  'or enable legacy algorithms in the profile if it needs 3DES/modp1024';

/**
 * A phase-1 error as it reads when we authenticate with signatures: a PSK mismatch and a refused certificate
 * look alike on the wire, and a server set up for PSK refuses our proposals.
 */
export function forSignatureAuth(e: FerryError): FerryError {
  if (e.phase !== 'ike-phase1') return e;
  if (e.code === 'auth-failed') return phase1Error('certificate-rejected', e.message, e.cause);
  if (e.code === 'no-proposal-chosen')
    return new FerryError({
      phase: e.phase,
      code: e.code,
      message: e.message,
      hint: SIGNATURE_NO_PROPOSAL,
      cause: e.cause,
    });
  return e;
}

export function phase1Error(code: Phase1ErrorCode, message: string, cause?: unknown): FerryError {
  return new FerryError({
    phase: 'ike-phase1',
    code,
    message,
    hint: HINTS[code],
    ...(cause === undefined ? {} : { cause }),
  });
}
