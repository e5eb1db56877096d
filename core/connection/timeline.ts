import type { Clock } from '../common/clock';
import type { ConnectPhase } from '../common/errors';

export type PhaseResult = 'running' | 'ok' | 'failed' | 'skipped';

export interface PhaseEntry {
  readonly phase: ConnectPhase;
  /** Milliseconds since the connect started. */
  readonly startMs: number;
  readonly durationMs: number | null;
  readonly result: PhaseResult;
  readonly detail?: string;
}

/** The phase timeline of one connect attempt: each phase with start, duration and result (SPEC §4 diagnostics). */
export class PhaseTimeline {
  private readonly entries: {
    phase: ConnectPhase;
    start: number;
    end: number | null;
    result: PhaseResult;
    detail?: string;
  }[] = [];
  private readonly origin: number;

  constructor(private readonly clock: Clock) {
    this.origin = clock.now();
  }

  begin(phase: ConnectPhase): void {
    this.entries.push({ phase, start: this.clock.now(), end: null, result: 'running' });
  }

  end(phase: ConnectPhase, result: Exclude<PhaseResult, 'running'>, detail?: string): void {
    const e = [...this.entries].reverse().find((x) => x.phase === phase && x.result === 'running');
    const now = this.clock.now();
    if (e) {
      e.end = now;
      e.result = result;
      if (detail !== undefined) e.detail = detail;
    } else {
      this.entries.push({ phase, start: now, end: now, result, ...(detail !== undefined ? { detail } : {}) });
    }
  }

  /** Marks the phase that is still running (if any) as failed. */
  failRunning(detail?: string): ConnectPhase | null {
    const e = [...this.entries].reverse().find((x) => x.result === 'running');
    if (!e) return null;
    this.end(e.phase, 'failed', detail);
    return e.phase;
  }

  snapshot(): PhaseEntry[] {
    return this.entries.map((e) => ({
      phase: e.phase,
      startMs: e.start - this.origin,
      durationMs: e.end === null ? null : e.end - e.start,
      result: e.result,
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    }));
  }
}
