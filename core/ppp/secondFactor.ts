/**
 * SPEC §3 MFA as the PPP layer sees it: how long authentication may take (a push approval holds the server's
 * answer for up to a minute or more), how often PAP repeats itself meanwhile, and how a failure reads once a
 * second factor was involved (typed errors the UI can act on: re-prompt for a code, approve again).
 */
import type { FerryError } from '../common/errors';
import { mfaRejected, pushRejected, pushTimeout } from './errors';

export type PppMfa =
  /** The one-time code travels appended to the password (Credentials.appendedCode); PAP only. */
  | { readonly kind: 'otp-append' }
  /** The server holds its answer until the user approves on a device, up to `approvalMs`. */
  | { readonly kind: 'push'; readonly approvalMs: number };

export interface AuthTimers {
  /** The whole authentication phase. */
  readonly authTimeoutMs: number;
  /** PAP Authenticate-Request restart timer (RFC 1334 §2.2.1). */
  readonly papRetransmitMs: number;
}

export const AUTH_TIMEOUT_MS = 30_000;
export const PAP_RETRANSMIT_MS = 3000;
/** After the approval window: time for the server's own verdict (e.g. a relayed Access-Reject) to arrive. */
export const PUSH_GRACE_MS = 10_000;
/**
 * While a push is pending the server answers nothing; each retransmission is queued behind the pending one (or,
 * on a NAS that relays every request, could become another push on the user's phone): repeat less often.
 */
export const PUSH_PAP_RETRANSMIT_MS = 5000;

/** The authentication timers for a profile's MFA mode (none → the defaults). */
export function authTimers(mfa?: PppMfa): AuthTimers {
  if (mfa?.kind === 'push')
    return {
      authTimeoutMs: Math.max(AUTH_TIMEOUT_MS, mfa.approvalMs + PUSH_GRACE_MS),
      papRetransmitMs: PUSH_PAP_RETRANSMIT_MS,
    };
  return { authTimeoutMs: AUTH_TIMEOUT_MS, papRetransmitMs: PAP_RETRANSMIT_MS };
}

/** Refusals: a PAP Nak or MS-CHAP failure (auth-failed), or a server that just hangs up (SoftEther). */
const REFUSED = new Set(['auth-failed', 'peer-terminated']);

/**
 * The error to report when authentication failed after the credentials went out with a second factor: a refusal
 * becomes `mfa-rejected` (re-prompt for a code) or `push-rejected`, our own deadline `push-timeout`; anything
 * else (expired password, disabled account, no common method) stays as it is.
 */
export function secondFactorFailure(mfa: PppMfa, cause: FerryError, waitedMs: number): FerryError {
  if (cause.phase !== 'auth') return cause;
  const how = cause.code === 'peer-terminated' ? 'the server hung up' : 'the server said no';
  if (mfa.kind === 'otp-append') return REFUSED.has(cause.code) ? mfaRejected(how) : cause;
  if (cause.code === 'timeout') return pushTimeout(waitedMs);
  return REFUSED.has(cause.code) ? pushRejected(waitedMs, how) : cause;
}
