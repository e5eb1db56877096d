/**
 * A CarrierFactory for the orchestrator tests: joins the client to a FakeLns through two LossyPaths (loss,
 * duplication, reordering, delay) on one FakeClock. IKE phase 1 and quick mode are reported at once (or after
 * `ikeMs` each); the real carrier is tested elsewhere. Honours `ctx.signal` unless told not to.
 */
import { FerryError } from '../../../core/common/errors';
import type { CarrierContext, CarrierFactory, L2tpCarrier } from '../../../core/connection/carrier';
import type { NegotiatedAlgorithms } from '../../../core/connection/state';
import { type LinkImpairment, LossyPath } from '../../unit/l2tp/harness';
import type { FakeClock } from '../deterministic';
import type { FakeLns } from './fakeLns';

export type CarrierPhase = 'ike-phase1' | 'quick-mode';

export interface FakeCarrierOptions {
  readonly clock: FakeClock;
  readonly lns: FakeLns;
  /** Applied to both directions (default: 10 ms delay, no loss). */
  readonly impairment?: LinkImpairment;
  /** Seeds the two paths (seed and seed + 1). */
  readonly seed?: number;
  /** Fake time each IKE phase takes (default 0: reported at once). */
  readonly ikeMs?: number;
  /** Reject at this phase with this code instead of coming up. */
  readonly failAt?: { readonly phase: CarrierPhase; readonly code: string };
  /** Resolve even after ctx.signal aborted (a carrier that ignores cancellation). */
  readonly ignoreAbort?: boolean;
  readonly algorithms?: NegotiatedAlgorithms;
}

export class FakeCarrier {
  /** Factory calls, carriers closed, datagrams each way (before impairment). */
  opened = 0;
  closed = 0;
  datagramsOut = 0;
  datagramsIn = 0;
  toLns: LossyPath | null = null;
  toClient: LossyPath | null = null;
  private failureHandler: ((e: FerryError) => void) | null = null;
  private clientHandler: (d: Uint8Array) => void = () => {};
  private up = false;

  constructor(private readonly opts: FakeCarrierOptions) {}

  readonly factory: CarrierFactory = (ctx) => {
    this.opened++;
    return new Promise<L2tpCarrier>((resolve, reject) => {
      const phases: CarrierPhase[] = ['ike-phase1', 'quick-mode'];
      const ms = this.opts.ikeMs ?? 0;
      let current: CarrierPhase | null = null;
      let timer: ReturnType<CarrierContext['clock']['setTimeout']> | null = null;
      const onAbort = () => {
        if (this.opts.ignoreAbort) return;
        if (timer !== null) ctx.clock.clearTimeout(timer);
        reject(cancelled(current ?? 'ike-phase1'));
      };
      if (ctx.signal.aborted) {
        onAbort();
        return;
      }
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      // A listener of ctx.phase may abort synchronously: look at the signal after every report.
      const abandoned = () => ctx.signal.aborted && !this.opts.ignoreAbort;
      const step = (): void => {
        timer = null;
        if (current) ctx.phase(current, 'ok');
        if (abandoned()) return;
        const next = phases.shift();
        if (!next) {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(this.open());
          return;
        }
        current = next;
        ctx.phase(next, 'begin');
        if (abandoned()) return;
        if (this.opts.failAt?.phase === next) {
          ctx.signal.removeEventListener('abort', onAbort);
          reject(
            new FerryError({
              phase: next,
              code: this.opts.failAt.code,
              message: `fake carrier fails ${next}`,
              hint: 'configured by the test',
            }),
          );
          return;
        }
        if (ms > 0) timer = ctx.clock.setTimeout(step, ms);
        else step();
      };
      step();
    });
  };

  /** Reports a carrier failure after it came up (dead peer, SA deleted). */
  fail(error: FerryError): void {
    this.failureHandler?.(error);
  }

  /** Whether a carrier is open (created and not closed). */
  get isUp(): boolean {
    return this.up;
  }

  private open(): L2tpCarrier {
    const { clock, lns } = this.opts;
    const imp = this.opts.impairment ?? {};
    const seed = this.opts.seed ?? 1;
    this.up = true;
    this.toLns = new LossyPath(clock, (d) => this.up && lns.receive(d), imp, seed);
    this.toClient = new LossyPath(
      clock,
      (d) => {
        if (!this.up) return;
        this.datagramsIn++;
        this.clientHandler(d);
      },
      imp,
      seed + 1,
    );
    const toClient = this.toClient;
    lns.attach((d) => toClient.send(d));
    const toLns = this.toLns;
    return {
      send: (d) => {
        if (!this.up) return;
        this.datagramsOut++;
        toLns.send(d);
      },
      onDatagram: (h) => {
        this.clientHandler = h;
      },
      onFailure: (h) => {
        this.failureHandler = h;
      },
      algorithms: this.opts.algorithms ?? { ike: 'fake', esp: 'fake (no encryption)' },
      stats: () => ({ datagramsIn: this.datagramsIn, datagramsOut: this.datagramsOut }),
      close: async () => {
        if (!this.up) return;
        this.up = false;
        this.closed++;
        lns.attach(null);
      },
    };
  }
}

function cancelled(phase: CarrierPhase): FerryError {
  return new FerryError({
    phase,
    code: 'cancelled',
    message: 'carrier bring-up cancelled',
    hint: 'nothing to do',
  });
}
