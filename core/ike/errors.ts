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
  | 'transport';

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
};

export function phase1Error(code: Phase1ErrorCode, message: string, cause?: unknown): FerryError {
  return new FerryError({
    phase: 'ike-phase1',
    code,
    message,
    hint: HINTS[code],
    ...(cause === undefined ? {} : { cause }),
  });
}
