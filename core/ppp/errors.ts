/** The typed failures of the PPP layer: phase (lcp/auth/ipcp/established), a stable code and a human hint. */
import { type ErrorPhase, FerryError } from '../common/errors';
import type { MsChapFailure } from './auth/mschapMessages';

export type PppPhase = 'lcp' | 'auth' | 'ipcp';

const pppError = (phase: ErrorPhase, code: string, message: string, hint: string): FerryError =>
  new FerryError({ phase, code, message, hint });

const CREDENTIALS_HINT = 'check the credentials';

export function authFailed(method: string, detail?: string): FerryError {
  return pppError(
    'auth',
    'auth-failed',
    `the server rejected the user name or password (${method})${detail ? `: "${detail}"` : ''}`,
    CREDENTIALS_HINT,
  );
}

/** RFC 2759 §6 error codes, mapped to what a user can do about them. */
export function msChapFailureError(f: MsChapFailure, via: string): FerryError {
  const tag = `${via} E=${f.error}`;
  const said = f.message ? `; server says "${f.message.slice(0, 160)}"` : '';
  switch (f.error) {
    case 691:
      return pppError(
        'auth',
        'auth-failed',
        `the server rejected the user name or password (${tag})${said}`,
        CREDENTIALS_HINT,
      );
    case 648:
      return pppError(
        'auth',
        'password-expired',
        `the password has expired (${tag})${said}`,
        'change the password (for example by signing in to the directory) and connect again',
      );
    case 647:
      return pppError(
        'auth',
        'account-disabled',
        `the account is disabled (${tag})${said}`,
        'ask the VPN administrator to enable the account',
      );
    case 649:
      return pppError(
        'auth',
        'no-dialin-permission',
        `the account has no dial-in permission (${tag})${said}`,
        'ask the VPN administrator to grant remote access (dial-in) to the account',
      );
    case 646:
      return pppError(
        'auth',
        'restricted-hours',
        `logons are not allowed at this time for the account (${tag})${said}`,
        'connect within the allowed hours or ask the VPN administrator',
      );
    default:
      return pppError(
        'auth',
        'auth-failed',
        `the server refused authentication (${tag})${said}`,
        'check the credentials; if they are right, ask the VPN administrator about this error code',
      );
  }
}

export function serverNotAuthenticated(via: string, reason: 'missing' | 'mismatch'): FerryError {
  return pppError(
    'auth',
    'server-not-authenticated',
    reason === 'mismatch'
      ? `the server's ${via} authenticator response is wrong: it does not know the password`
      : `the server reported success without a valid ${via} authenticator response`,
    'the server could not prove it knows the password: this may be an impostor; do not use this server until an administrator checks it',
  );
}

export function authMethodUnavailable(offered: readonly string[], allowed: readonly string[]): FerryError {
  return pppError(
    'auth',
    'auth-method-unavailable',
    `the server only offers authentication methods the profile does not allow (offered: ${
      offered.join(', ') || 'none'
    }; allowed: ${allowed.join(', ') || 'none'})`,
    "allow one of the server's methods in the profile, or ask the administrator to enable one the profile allows",
  );
}

/** The server proposed only EAP methods we refuse, we Nak'd, and it never started another method (SoftEther). */
export function eapFallbackStalled(refused: readonly string[]): FerryError {
  return pppError(
    'auth',
    'eap-fallback-stalled',
    `the server asked for ${refused.join(', ')} (not supported), then never started another authentication method`,
    "remove EAP from the profile's authentication methods so the server is asked for MS-CHAPv2 from the start",
  );
}

/** SPEC §3 MFA: the server refused `<password><separator><code>` (PAP cannot say which part was wrong). */
export function mfaRejected(how: string): FerryError {
  return pppError(
    'auth',
    'mfa-rejected',
    `the server rejected the password with the one-time code (${how})`,
    'enter the next code from your authenticator app (and check that its clock is right); if codes keep failing, check the password',
  );
}

/** The server restarted authentication after the one-time code went out: a code is sent once, never kept. */
export function oneTimeCodeSpent(): FerryError {
  return pppError(
    'auth',
    'mfa-rejected',
    'the server asked for authentication again after the one-time code was sent, and a code is sent only once',
    'enter a new code from your authenticator app',
  );
}

/** Push MFA: the server's verdict was no (denied on the device, its approval window passed, or a wrong password). */
export function pushRejected(waitedMs: number, how: string): FerryError {
  return pppError(
    'auth',
    'push-rejected',
    `the server refused the sign-in after ${Math.round(waitedMs / 1000)} s without an approval (${how}): denied on the device, not approved in time, or a wrong password`,
    'connect again and approve the request on your device; if no request arrives, check the password',
  );
}

/** Push MFA: we stopped waiting (the approval window plus a grace period for the server's own answer). */
export function pushTimeout(waitedMs: number): FerryError {
  return pppError(
    'auth',
    'push-timeout',
    `the server did not answer within ${Math.round(waitedMs / 1000)} s of asking for approval on your device`,
    "approve the request on your device sooner, or raise the profile's approval wait if the server allows longer",
  );
}

export function phaseTimeout(phase: PppPhase | 'established', what: string): FerryError {
  const hints: Record<PppPhase | 'established', string> = {
    lcp: 'the server does not answer PPP link negotiation; check that the L2TP session reaches a PPP server',
    auth: 'the server did not finish authentication in time; for push or token approval, approve sooner or raise the authentication timeout',
    ipcp: 'the server did not assign an IP address in time; check its address pool',
    established: 'the connection was lost',
  };
  return pppError(phase, 'timeout', what, hints[phase]);
}

export function peerTerminated(phase: PppPhase | 'established', reason: string, hint?: string): FerryError {
  return pppError(
    phase,
    'peer-terminated',
    `the server closed the PPP link${reason ? `: "${reason}"` : ''}`,
    hint ??
      (phase === 'auth'
        ? 'the server hung up during authentication; check the user name, the password and the allowed methods'
        : 'see the server log for the reason; connect again'),
  );
}

export function ipcpNoAddress(why: string): FerryError {
  return pppError(
    'ipcp',
    'ipcp-no-address',
    `the server did not assign an IPv4 address (${why})`,
    "check the server's address pool (it may be exhausted) or its IPCP configuration",
  );
}

export function negotiationFailed(phase: PppPhase, what: string): FerryError {
  return pppError(
    phase,
    `${phase}-negotiation-failed`,
    what,
    'the server and Ferry could not agree; see the log',
  );
}

export function linkDead(phase: ErrorPhase, unanswered: number): FerryError {
  return pppError(
    phase,
    'link-dead',
    `the server stopped answering LCP echo requests (${unanswered} unanswered)`,
    'the connection to the server was lost; Ferry will reconnect if auto-reconnect is on',
  );
}

export function loopedBack(): FerryError {
  return pppError(
    'lcp',
    'looped-back',
    'the PPP link is looped back: the peer keeps presenting our own Magic-Number',
    'the L2TP session is connected to itself; check the server address',
  );
}

export function cancelled(phase: ErrorPhase): FerryError {
  return pppError(phase, 'cancelled', 'the PPP link was closed before it came up', 'nothing to do');
}
