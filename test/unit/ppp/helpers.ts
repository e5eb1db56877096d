import { createLogger, type Logger, RingBufferSink } from '../../../core/common/log';

export { FakeClock, seededRandom } from '../../support/deterministic';

export function capturingLogger(): { logger: Logger; ring: RingBufferSink } {
  const ring = new RingBufferSink(100_000);
  return { logger: createLogger({ sinks: [ring.sink] }), ring };
}

/**
 * Two endpoints joined by queues. Sends are queued and delivered by flush(), so handlers never recurse;
 * `filter` may drop (return 0), pass (1) or duplicate (2) each frame.
 */
export class Wire {
  private readonly queue: Array<{ to: 'a' | 'b'; frame: Uint8Array }> = [];
  filter: (from: 'a' | 'b', frame: Uint8Array) => number = () => 1;
  readonly log: Array<{ from: 'a' | 'b'; frame: Uint8Array }> = [];

  constructor(
    private readonly a: (frame: Uint8Array) => void,
    private readonly b: (frame: Uint8Array) => void,
  ) {}

  sendFrom(from: 'a' | 'b', frame: Uint8Array): void {
    this.log.push({ from, frame });
    const copies = this.filter(from, frame);
    for (let i = 0; i < copies; i++) this.queue.push({ to: from === 'a' ? 'b' : 'a', frame });
  }

  flush(limit = 10_000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const m = this.queue.shift()!;
      (m.to === 'a' ? this.a : this.b)(m.frame);
    }
  }
}
