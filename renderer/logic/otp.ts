/** One-time codes as people paste them: "123 456", "123-456", " 123456\n" → "123456". */

export interface DigitRange {
  readonly min: number;
  readonly max: number;
}

/** The host only accepts 6–8 digits (core/api/ipc.ts answerMfa); a prompt may narrow that further. */
export function clampDigits(d: DigitRange): DigitRange {
  const min = Math.min(8, Math.max(6, Math.trunc(d.min)));
  return { min, max: Math.max(min, Math.min(8, Math.trunc(d.max))) };
}

/** Keeps the digits of what was typed or pasted, at most `max` of them. */
export function sanitizeCode(input: string, max: number): string {
  return input.replace(/\D+/g, '').slice(0, max);
}

export function codeProblem(code: string, d: DigitRange): string | null {
  const { min, max } = clampDigits(d);
  if (!/^\d*$/.test(code)) return 'digits only';
  if (code.length < min) return min === max ? `enter all ${min} digits` : `enter ${min} to ${max} digits`;
  if (code.length > max) return `at most ${max} digits`;
  return null;
}

/** Seconds left before the server gives up, counted from when the prompt arrived. */
export function secondsLeft(expiresInSeconds: number, receivedAt: number, now: number): number {
  return Math.max(0, expiresInSeconds - (now - receivedAt) / 1000);
}

/**
 * Seconds left for a prompt: to its absolute `deadline` when the host sent one (right after a reload too, and
 * for a push whose window began when authentication did), else counted from its arrival. Never more than the
 * window itself (a clock that is ahead cannot stretch it).
 */
export function promptSecondsLeft(
  prompt: { readonly expiresInSeconds: number; readonly deadline?: number },
  receivedAt: number,
  now: number,
): number {
  if (prompt.deadline === undefined) return secondsLeft(prompt.expiresInSeconds, receivedAt, now);
  return Math.max(0, Math.min(prompt.expiresInSeconds, (prompt.deadline - now) / 1000));
}
