/** The bring-up phases of a link (lcp → auth → ipcp): start/end events and one deadline per phase. */
import type { Clock, TimerHandle } from '../common/clock';
import type { FerryError } from '../common/errors';
import { type PppPhase, phaseTimeout } from './errors';
import type { PhaseEvent } from './types';

export interface PhaseTimeouts {
  readonly lcp: number;
  readonly auth: number;
  readonly ipcp: number;
}

const WHAT: Readonly<Record<PppPhase, string>> = {
  lcp: 'link negotiation',
  auth: 'authentication',
  ipcp: 'address negotiation',
};

export class PhaseTracker {
  private phase: PppPhase | null = null;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timeouts: PhaseTimeouts,
    private readonly emit: (e: PhaseEvent) => void,
    private readonly expired: (error: FerryError) => void,
  ) {}

  get current(): PppPhase | null {
    return this.phase;
  }

  enter(phase: PppPhase): void {
    this.end(false, 'superseded');
    this.phase = phase;
    const ms = this.timeouts[phase];
    // Armed before the event: a listener that ends or closes the link must find (and clear) the deadline.
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.expired(phaseTimeout(phase, `${WHAT[phase]} did not finish within ${ms} ms`));
    }, ms);
    this.emit({ phase, kind: 'start', at: this.clock.now() });
  }

  /** Ends the current phase (no-op when none is running). */
  end(ok: boolean, detail?: string): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const phase = this.phase;
    if (!phase) return;
    this.phase = null;
    this.emit({ phase, kind: 'end', at: this.clock.now(), ok, ...(detail ? { detail } : {}) });
  }
}
