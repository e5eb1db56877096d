/**
 * When to rekey an SA (SPEC §2: at 90 % of its lifetime), with jitter so that both ends (and many clients behind
 * one server) do not rekey in the same instant, as strongSwan's rekeyfuzz does. A failed rekey is retried until
 * the hard lifetime.
 */
import type { Clock, TimerHandle } from '../common/clock';
import { type RandomSource, randomU32 } from '../common/random';

export interface RekeySchedulePolicy {
  /** Rekey at this fraction of the lifetime at the latest (SPEC §2: 0.9). */
  readonly softFraction: number;
  /** Up to this fraction earlier, uniformly at random. */
  readonly jitterFraction: number;
  /** First retry after a failed rekey; doubles, bounded by the hard lifetime. */
  readonly retryMs: number;
}

export const DEFAULT_REKEY_SCHEDULE: RekeySchedulePolicy = {
  softFraction: 0.9,
  jitterFraction: 0.05,
  retryMs: 5_000,
};

/** Milliseconds after establishment at which to rekey an SA living `lifetimeSeconds`. */
export function softDeadlineMs(
  lifetimeSeconds: number,
  random: RandomSource,
  p: RekeySchedulePolicy,
): number {
  const u = randomU32(random) / 0x1_0000_0000;
  return Math.max(1, Math.round(lifetimeSeconds * 1000 * (p.softFraction - p.jitterFraction * u)));
}

/**
 * The soft and hard deadline of one SA: `onSoft` when it is time to rekey (and again after `retry()`), `onHard`
 * when the SA is dead unless replaced. `cancel()` once a successor took over.
 */
export class SaDeadline {
  private soft: TimerHandle | null = null;
  private hard: TimerHandle | null = null;
  private retries = 0;
  readonly hardAt: number;
  readonly softAt: number;

  constructor(
    private readonly clock: Clock,
    lifetimeSeconds: number,
    random: RandomSource,
    private readonly policy: RekeySchedulePolicy,
    private readonly onSoft: () => void,
    onHard: () => void,
  ) {
    const now = clock.now();
    this.softAt = now + softDeadlineMs(lifetimeSeconds, random, policy);
    this.hardAt = now + lifetimeSeconds * 1000;
    this.soft = clock.setTimeout(() => this.fireSoft(), this.softAt - now);
    this.hard = clock.setTimeout(() => {
      this.hard = null;
      this.cancel();
      onHard();
    }, this.hardAt - now);
  }

  private fireSoft(): void {
    this.soft = null;
    this.onSoft();
  }

  /** The rekey failed: try again later, but not after the hard deadline. */
  retry(): void {
    if (this.hard === null || this.soft !== null) return;
    const left = this.hardAt - this.clock.now();
    const wait = Math.min(this.policy.retryMs * 2 ** this.retries++, left / 2);
    if (wait < 50) return;
    this.soft = this.clock.setTimeout(() => this.fireSoft(), wait);
  }

  cancel(): void {
    if (this.soft !== null) this.clock.clearTimeout(this.soft);
    if (this.hard !== null) this.clock.clearTimeout(this.hard);
    this.soft = null;
    this.hard = null;
  }
}
