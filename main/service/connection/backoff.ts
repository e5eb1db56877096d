/** SPEC §1.7: after a connection is lost, reconnect with exponential backoff (with jitter, capped). */
import { type RandomSource, randomU32 } from '../../../core/common/random';

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
  /** ± share of the delay drawn at random (0..1), so many clients do not reconnect in lockstep. */
  readonly jitter: number;
  /** Reconnect attempts after one loss before giving up (0 = never reconnect). */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 1000,
  factor: 2,
  maxMs: 60_000,
  jitter: 0.2,
  maxAttempts: 10,
};

/** Delay before reconnect attempt `attempt` (1-based). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: RandomSource): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  const unit = randomU32(random) / 0x1_0000_0000; // [0, 1)
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * unit - 1))));
}

/** Failures that another attempt cannot fix without the user: wrong credentials, policy, configuration. */
export function isRetryable(e: { readonly phase: string; readonly code: string }): boolean {
  if (e.phase === 'secrets' || e.phase === 'profile') return false;
  return !NOT_RETRYABLE.has(e.code);
}

const NOT_RETRYABLE = new Set([
  'auth-failed',
  'otp-missing',
  // SPEC §3 MFA: another attempt would only ask the user again (or send another push) unasked.
  'mfa-rejected',
  'push-rejected',
  'push-timeout',
  'no-proposal-chosen',
  'invalid-id',
  'unauthorized',
  'helper-untrusted',
  'invalid-argument',
  'cancelled',
]);
