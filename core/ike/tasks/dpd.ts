/**
 * Dead peer detection, our side (RFC 3706 §5): when nothing has been heard from the peer for `idleMs`, send
 * R-U-THERE; repeat every `retryMs` while unanswered; after `maxMisses` unanswered ones the peer is dead. Any
 * authenticated traffic (ESP, a matching R-U-THERE-ACK, the peer's own R-U-THERE) counts as proof of life.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { type RandomSource, randomU32 } from '../../common/random';

export interface DpdPolicy {
  /** Silence before the first R-U-THERE (default 20 s). */
  readonly idleMs: number;
  /** Wait for an answer before the next R-U-THERE (default 5 s). */
  readonly retryMs: number;
  /** Unanswered R-U-THEREs before the peer is declared dead (default 3). */
  readonly maxMisses: number;
}

export const DEFAULT_DPD: DpdPolicy = { idleMs: 20_000, retryMs: 5_000, maxMisses: 3 };

export interface DpdCounters {
  requestsSent: number;
  acksReceived: number;
  /** ACKs whose sequence number we never sent or already saw answered (RFC 3706 §5.5: rejected). */
  unexpectedAcks: number;
}

export interface DpdOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy: DpdPolicy;
  /** Sends an R-U-THERE with this sequence number (a new informational exchange each time). */
  send(seq: number): void;
  /** The peer missed `misses` R-U-THEREs after `silentMs` of silence. */
  onDead(misses: number, silentMs: number): void;
}

export class DeadPeerDetection {
  readonly counters: DpdCounters = { requestsSent: 0, acksReceived: 0, unexpectedAcks: 0 };
  private lastHeard: number;
  /** Incremented by every proof of life, so "heard since the probe" does not depend on clock resolution. */
  private heard = 0;
  private heardAtProbe = 0;
  private seq: number;
  private readonly outstanding = new Set<number>();
  private probeSentAt: number | null = null;
  private misses = 0;
  private timer: TimerHandle | null = null;
  private running = false;

  constructor(private readonly o: DpdOptions) {
    this.lastHeard = o.clock.now();
    // RFC 3706 §5.5: the first sequence number is random, then incremented.
    this.seq = randomU32(o.random) & 0x7fffffff;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastHeard = this.o.clock.now();
    this.schedule(this.o.policy.idleMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Proof of life: cheap enough for every ESP packet. */
  alive(): void {
    this.lastHeard = this.o.clock.now();
    this.heard++;
  }

  /** An R-U-THERE-ACK arrived; true when it answers one of ours (and counts as life). */
  ack(seq: number): boolean {
    if (!this.outstanding.has(seq >>> 0)) {
      this.counters.unexpectedAcks++;
      return false;
    }
    this.outstanding.clear();
    this.counters.acksReceived++;
    this.alive();
    return true;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = this.o.clock.setTimeout(
      () => {
        this.timer = null;
        this.tick();
      },
      Math.max(0, ms),
    );
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.o.clock.now();
    const { idleMs, maxMisses } = this.o.policy;
    if (this.probeSentAt !== null) {
      if (this.heard !== this.heardAtProbe) {
        // Answered (or other traffic arrived): back to watching for silence.
        this.probeSentAt = null;
        this.misses = 0;
        this.outstanding.clear();
      } else {
        this.misses++;
        if (this.misses >= maxMisses) {
          this.running = false;
          this.o.onDead(this.misses, now - this.lastHeard);
          return;
        }
        this.probe(now);
        return;
      }
    }
    const silent = now - this.lastHeard;
    if (silent < idleMs) {
      this.schedule(idleMs - silent);
      return;
    }
    this.probe(now);
  }

  private probe(now: number): void {
    this.seq = (this.seq + 1) >>> 0;
    this.outstanding.add(this.seq);
    this.probeSentAt = now;
    this.heardAtProbe = this.heard;
    this.counters.requestsSent++;
    this.o.send(this.seq);
    this.schedule(this.o.policy.retryMs);
  }
}
