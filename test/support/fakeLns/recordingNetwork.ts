/** A NetworkConfigurator double: records what the orchestrator asks of the OS, can be slow or fail. */
import type { Clock } from '../../../core/common/clock';
import { FerryError } from '../../../core/common/errors';
import type { NetworkConfigurator } from '../../../core/connection/connection';
import type { TunnelAddresses } from '../../../core/connection/state';

export interface RecordingNetworkOptions {
  /** Fake time each apply takes (on the given clock). */
  readonly delayMs?: number;
  readonly failRoutes?: boolean;
  readonly failDns?: boolean;
}

export interface NetworkCall {
  readonly what: 'routes' | 'dns' | 'restore';
  readonly at: number;
  readonly addresses?: TunnelAddresses;
}

export class RecordingNetwork implements NetworkConfigurator {
  readonly calls: NetworkCall[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly opts: RecordingNetworkOptions = {},
  ) {}

  async applyRoutes(addresses: TunnelAddresses): Promise<void> {
    this.calls.push({ what: 'routes', at: this.clock.now(), addresses });
    await this.delay();
    if (this.opts.failRoutes)
      throw new FerryError({
        phase: 'routes',
        code: 'route-failed',
        message: 'the helper could not add the routes',
        hint: 'configured by the test',
      });
  }

  async applyDns(addresses: TunnelAddresses): Promise<void> {
    this.calls.push({ what: 'dns', at: this.clock.now(), addresses });
    await this.delay();
    if (this.opts.failDns)
      throw new FerryError({
        phase: 'dns',
        code: 'dns-failed',
        message: 'the helper could not set DNS',
        hint: 'configured by the test',
      });
  }

  async restore(): Promise<void> {
    this.calls.push({ what: 'restore', at: this.clock.now() });
  }

  private delay(): Promise<void> {
    const ms = this.opts.delayMs ?? 0;
    if (ms <= 0) return Promise.resolve();
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }
}
