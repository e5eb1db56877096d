/** Quick Mode and established-SA failures as FerryErrors with stable codes and human hints (no secrets). */
import { FerryError } from '../../common/errors';

export type QuickModeErrorCode =
  | 'no-proposal-chosen'
  | 'invalid-id'
  | 'auth-failed'
  | 'timeout'
  | 'malformed-reply'
  | 'server-error'
  | 'peer-deleted'
  | 'aborted';

const QM_HINTS: Readonly<Record<QuickModeErrorCode, string>> = {
  'no-proposal-chosen':
    "the server accepts none of the profile's phase-2 (ESP) algorithms — add the server's algorithms to the " +
    'profile, or enable legacy compatibility if it needs 3DES or MD5',
  'invalid-id':
    'the server refused the traffic selectors (L2TP, UDP port 1701) — check that it is set up for L2TP/IPsec',
  'auth-failed':
    "the server's quick mode reply failed authentication — check the pre-shared key and the server type",
  timeout: 'the server stopped answering after phase 1 — check the server log for why it ignored quick mode',
  'malformed-reply':
    'the server sent a quick mode reply Ferry cannot use — check the server type and its phase-2 settings',
  'server-error': 'the server refused quick mode — check its log for the reason',
  'peer-deleted': 'the server ended the IKE session during quick mode — check its log for the reason',
  aborted: 'the connection attempt was cancelled',
};

export function quickModeError(code: QuickModeErrorCode, message: string, cause?: unknown): FerryError {
  return new FerryError({
    phase: 'quick-mode',
    code,
    message,
    hint: QM_HINTS[code],
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Failures of an established carrier (RFC 3706 dead peer, RFC 2408 §4.8 delete). */
export type EstablishedErrorCode = 'dead-peer' | 'peer-deleted' | 'sa-expired' | 'socket-error';

const ESTABLISHED_HINTS: Readonly<Record<EstablishedErrorCode, string>> = {
  'dead-peer':
    'the server stopped answering dead peer detection — check the network path; Ferry will reconnect',
  'peer-deleted': 'the server ended the IPsec session — check its log (idle timeout, admin action, restart)',
  'sa-expired': 'the IPsec SA reached its limit before it could be rekeyed; reconnect',
  'socket-error': 'the network became unusable (UDP send errors) — check the network connection',
};

export function establishedError(code: EstablishedErrorCode, message: string, cause?: unknown): FerryError {
  return new FerryError({
    phase: 'established',
    code,
    message,
    hint: ESTABLISHED_HINTS[code],
    ...(cause === undefined ? {} : { cause }),
  });
}
