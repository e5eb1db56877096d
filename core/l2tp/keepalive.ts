/** HELLO keepalive timing (RFC 2661 §6.5): probe the peer after an interval in which nothing was heard from it. */
import type { Clock, TimerHandle } from '../common/clock';

export class IdleProbe {
  private timer: TimerHandle | null = null;
  private lastHeard = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly probe: () => void,
  ) {}

  /** Something arrived from the peer (cheap: one clock read, no timer work). */
  heard(): void {
    this.lastHeard = this.clock.now();
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer !== null) return;
    this.heard();
    this.arm(this.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      const idle = this.clock.now() - this.lastHeard;
      if (idle < this.intervalMs) {
        this.arm(this.intervalMs - idle);
        return;
      }
      this.heard();
      this.arm(this.intervalMs);
      this.probe();
    }, ms);
  }
}
