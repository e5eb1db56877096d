/**
 * A Clock in front of another that knows which of its timers are still scheduled, so a test can assert that one
 * party (the client) left nothing behind while others (paths, the fake server) share the same FakeClock.
 */
import type { Clock, TimerHandle } from '../../../core/common/clock';

export class TrackingClock implements Clock {
  private readonly live = new Map<TimerHandle, string>();

  constructor(
    private readonly inner: Clock,
    /** Keep the creation stack of each timer for `pendingStacks()` (costs a stack capture per timer). */
    private readonly traceStacks = false,
  ) {}

  now(): number {
    return this.inner.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = this.inner.setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.set(handle, this.traceStacks ? (new Error('timer').stack ?? '') : '');
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.live.delete(handle);
    this.inner.clearTimeout(handle);
  }

  /** Timers set through this clock that have neither fired nor been cleared. */
  get pending(): number {
    return this.live.size;
  }

  /** Where the pending timers were created (empty strings unless constructed with traceStacks). */
  pendingStacks(): string[] {
    return [...this.live.values()];
  }
}
