/**
 * Quitting for real: the first `before-quit` is held until every tunnel is down and routes and DNS are restored
 * (the service's shutdown), bounded by a timeout — the helper undoes a vanished session on its own anyway. Then
 * the window may close and the app quits. Closing the window alone never gets here (it hides to the tray).
 */
import type { Clock } from '../../core/common/clock';
import type { Logger } from '../../core/common/log';
import type { Preventable } from './ports';

export interface QuitControllerOptions {
  readonly app: { quit(): void };
  /** Disconnects everything and releases resources. */
  readonly shutdown: () => Promise<void>;
  /** Called once quitting starts (the window controller stops hiding on close). */
  readonly onQuitting: () => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timeoutMs?: number;
}

export class QuitController {
  private phase: 'running' | 'stopping' | 'done' = 'running';

  constructor(private readonly o: QuitControllerOptions) {}

  get state(): 'running' | 'stopping' | 'done' {
    return this.phase;
  }

  /** Tray "Quit" and the like. */
  quit(): void {
    this.o.app.quit();
  }

  /** Electron's `before-quit`. */
  onBeforeQuit(event: Preventable): void {
    if (this.phase === 'done') return;
    event.preventDefault();
    if (this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.o.onQuitting();
    this.o.logger.info('quitting: disconnecting every profile');
    let timer: ReturnType<Clock['setTimeout']> | null = null;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve('timeout'), this.o.timeoutMs ?? 10_000);
    });
    const stopped = this.o
      .shutdown()
      .then(() => 'stopped' as const)
      .catch((e: unknown) => {
        this.o.logger.error('shutdown failed', { error: e });
        return 'failed' as const;
      });
    void Promise.race([stopped, timeout]).then((how) => {
      if (timer) this.o.clock.clearTimeout(timer);
      if (how === 'timeout') this.o.logger.warn('shutdown timed out; quitting anyway');
      this.phase = 'done';
      this.o.app.quit();
    });
  }
}
