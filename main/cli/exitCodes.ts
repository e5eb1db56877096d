/** `ferry` exit codes, one per failure class, so scripts can tell a wrong PSK from a wrong password. */

export const EXIT = {
  ok: 0,
  /** A bug or an unexpected error. */
  internal: 1,
  usage: 2,
  /** The profile is invalid (field errors), not found, or cannot comply with the policy. */
  profile: 3,
  /** A secret is missing (no environment variable, no terminal to ask on) or the keyring is unavailable. */
  secrets: 4,
  /** status / diag / disconnect: no `ferry connect` is running. */
  notRunning: 5,
  /** connect: another `ferry connect` already runs for this user (same control socket). */
  alreadyRunning: 6,
  /** IKE phase 1 (server unreachable or not found, wrong PSK, no proposal chosen). */
  ike: 10,
  /** IKE quick mode (ESP proposals, server gone after phase 1). */
  quickMode: 11,
  /** L2TP tunnel or session. */
  l2tp: 12,
  /** PPP authentication (wrong user name or password, rejected one-time code, push not approved). */
  pppAuth: 13,
  /** PPP LCP or IPCP. */
  ppp: 14,
  /** Routes, DNS, the TUN device or the privileged helper. */
  network: 15,
  /** The connection was lost after it had been up (and reconnecting, if enabled, gave up). */
  lost: 20,
  /** SIGINT/SIGTERM (or 'ferry disconnect') while the tunnel was still coming up. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a failure (a FerryError or a failed ConnectionState). */
export function exitCodeFor(e: { readonly phase: string; readonly code: string }): ExitCode {
  if (e.code === 'cancelled') return EXIT.interrupted;
  if (e.code === 'otp-missing') return EXIT.secrets;
  switch (e.phase) {
    case 'ike-phase1':
      return EXIT.ike;
    case 'quick-mode':
      return EXIT.quickMode;
    case 'l2tp-tunnel':
    case 'l2tp-session':
      return EXIT.l2tp;
    case 'auth':
      return EXIT.pppAuth;
    case 'lcp':
    case 'ipcp':
      return EXIT.ppp;
    case 'routes':
    case 'dns':
    case 'helper':
    case 'transport':
      return EXIT.network;
    case 'established':
      return EXIT.lost;
    case 'secrets':
      return EXIT.secrets;
    case 'profile':
      return EXIT.profile;
    default:
      return EXIT.internal;
  }
}
