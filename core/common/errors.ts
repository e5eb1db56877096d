/** The steps of bringing a session up, in order (SPEC §1). */
export const CONNECT_PHASES = [
  'ike-phase1',
  'quick-mode',
  'l2tp-tunnel',
  'l2tp-session',
  'lcp',
  'auth',
  'ipcp',
  'routes',
  'dns',
] as const;
export type ConnectPhase = (typeof CONNECT_PHASES)[number];

/** Where an error happened: a connect phase, or a context outside the bring-up. */
export type ErrorPhase =
  | ConnectPhase
  | 'established'
  | 'teardown'
  | 'profile'
  | 'secrets'
  | 'helper'
  | 'transport';

export interface FerryErrorInit {
  readonly phase: ErrorPhase;
  /** Stable machine-readable code, e.g. 'auth-failed', 'no-proposal-chosen', 'timeout'. */
  readonly code: string;
  /** Technical description. Must never contain a secret. */
  readonly message: string;
  /** What a user or admin should do about it. */
  readonly hint: string;
  readonly cause?: unknown;
}

/** Every failure Ferry reports is one of these: phase + code + human hint. */
export class FerryError extends Error {
  readonly phase: ErrorPhase;
  readonly code: string;
  readonly hint: string;

  constructor(init: FerryErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'FerryError';
    this.phase = init.phase;
    this.code = init.code;
    this.hint = init.hint;
  }

  /** One line for humans: "IKE phase 1: authentication failed — check the pre-shared key". */
  describe(): string {
    return `${PHASE_LABELS[this.phase]}: ${this.message} — ${this.hint}`;
  }

  toJSON(): { phase: ErrorPhase; code: string; message: string; hint: string } {
    return { phase: this.phase, code: this.code, message: this.message, hint: this.hint };
  }
}

export const PHASE_LABELS: Readonly<Record<ErrorPhase, string>> = {
  'ike-phase1': 'IKE phase 1',
  'quick-mode': 'IKE quick mode',
  'l2tp-tunnel': 'L2TP tunnel',
  'l2tp-session': 'L2TP session',
  lcp: 'PPP LCP',
  auth: 'PPP authentication',
  ipcp: 'PPP IPCP',
  routes: 'Routes',
  dns: 'DNS',
  established: 'Connected session',
  teardown: 'Disconnect',
  profile: 'Profile',
  secrets: 'Secrets',
  helper: 'Privileged helper',
  transport: 'Network',
};

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}

/** An exception that escaped our own checks, as a FerryError in `phase` (the bug hint, the original as cause). */
export function internalError(phase: ErrorPhase, e: unknown): FerryError {
  return new FerryError({
    phase,
    code: 'internal',
    message: `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
    hint: 'this is a bug in Ferry — export diagnostics and report it',
    cause: e,
  });
}
