/**
 * The connection's NetworkConfigurator (core/connection/connection.ts) on top of the helper: the TUN device,
 * its address and MTU, the profile's routes (split subnets, or a full tunnel with a host route to the server),
 * the kill switch if the profile asks, and DNS. restore() asks the helper to undo all of it; closing the
 * helper connection (or the app dying) has the same effect on the helper's side.
 */

import { type ErrorPhase, FerryError, isFerryError } from '../../core/common/errors';
import { type Logger, silentLogger } from '../../core/common/log';
import type { NetworkConfigurator } from '../../core/connection/connection';
import type { TunnelAddresses } from '../../core/connection/state';
import type { Profile } from '../../core/profile/schema';
import type { HelperClient } from './client';
import { LIMITS } from './protocol';

/** The part of HelperClient the configurator uses (tests pass a fake). */
export type HelperApi = Pick<
  HelperClient,
  | 'createTun'
  | 'setAddress'
  | 'setMtu'
  | 'addRoutes'
  | 'setFullTunnel'
  | 'setDns'
  | 'enableKillSwitch'
  | 'restoreAll'
>;

export interface HelperNetworkOptions {
  readonly helper: HelperApi;
  readonly routing: Profile['routing'];
  readonly searchDomains: readonly string[];
  /** The VPN server's IPv4 address as the carrier resolved it (full tunnel host route, kill switch). */
  readonly serverAddress: string;
  readonly killSwitch?: boolean;
  readonly serverPorts?: readonly number[];
  /** Who may attach to the device (default: the helper uses the caller's uid). */
  readonly tunOwner?: { readonly uid: number; readonly gid?: number };
  readonly clampMss?: boolean;
  readonly logger?: Logger;
  /** Told when the device exists, so the packet path can attach (core/tun openTun / HelperClient.openTunFd). */
  readonly onTun?: (tun: { readonly name: string; readonly token: string }) => void;
}

export class HelperNetworkConfigurator implements NetworkConfigurator {
  private tun: { name: string; token: string } | null = null;
  private readonly log: Logger;

  constructor(private readonly opts: HelperNetworkOptions) {
    this.log = (opts.logger ?? silentLogger).child('network');
  }

  /** The device name once created. */
  get tunName(): string | null {
    return this.tun?.name ?? null;
  }

  /** Creates the device if it does not exist yet (the packet path may want it before routes are applied). */
  async ensureTun(mtu: number): Promise<{ name: string; token: string }> {
    if (this.tun) return this.tun;
    const clamped = Math.min(Math.max(mtu, LIMITS.mtuMin), LIMITS.mtuMax);
    const r = await this.step('routes', () =>
      this.opts.helper.createTun({
        mtu: clamped,
        ...(this.opts.tunOwner ? { owner: this.opts.tunOwner } : {}),
        clampMss: this.opts.clampMss ?? false,
      }),
    );
    this.tun = { name: r.name, token: r.token };
    this.opts.onTun?.(this.tun);
    return this.tun;
  }

  async applyRoutes(a: TunnelAddresses): Promise<void> {
    const { name } = await this.ensureTun(a.mtu);
    const { helper, routing } = this.opts;
    await this.step('routes', () =>
      helper.setAddress({ name, address: a.localIp, prefix: 32, ...(a.peerIp ? { peer: a.peerIp } : {}) }),
    );
    await this.step('routes', () =>
      helper.setMtu({ name, mtu: Math.min(Math.max(a.mtu, LIMITS.mtuMin), LIMITS.mtuMax) }),
    );
    if (routing.mode === 'full') {
      await this.step('routes', () => helper.setFullTunnel({ name, server: this.opts.serverAddress }));
    } else {
      for (let i = 0; i < routing.subnets.length; i += LIMITS.routesPerRequest) {
        const cidrs = routing.subnets.slice(i, i + LIMITS.routesPerRequest);
        await this.step('routes', () => helper.addRoutes({ name, cidrs }));
      }
    }
    if (this.opts.killSwitch) {
      await this.step('routes', () =>
        helper.enableKillSwitch({
          name,
          server: this.opts.serverAddress,
          ...(this.opts.serverPorts ? { serverPorts: [...this.opts.serverPorts] } : {}),
        }),
      );
    }
    this.log.info('routes applied', { name, mode: routing.mode, killSwitch: this.opts.killSwitch ?? false });
  }

  async applyDns(a: TunnelAddresses): Promise<void> {
    if (!a.dns.length) {
      this.log.info('no DNS servers to set');
      return;
    }
    const { name } = await this.ensureTun(a.mtu);
    const servers = a.dns.slice(0, LIMITS.dnsServers);
    await this.step('dns', () =>
      this.opts.helper.setDns({
        name,
        servers,
        searchDomains: this.opts.searchDomains.slice(0, LIMITS.searchDomains),
        defaultRoute: this.opts.routing.mode === 'full' || this.opts.searchDomains.length === 0,
      }),
    );
    this.log.info('DNS applied', { name, servers });
  }

  /** Everything this session applied is undone by the helper, device included. Never rejects. */
  async restore(): Promise<void> {
    try {
      await this.opts.helper.restoreAll();
    } catch (e) {
      this.log.warn('restore through the helper failed; it will undo on disconnect', { error: e });
    }
    this.tun = null;
  }

  /** Helper refusals surface with the phase they belong to (routes or DNS). */
  private async step<T>(phase: ErrorPhase, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isFerryError(e) && e.phase === 'helper')
        throw new FerryError({ phase, code: e.code, message: e.message, hint: e.hint, cause: e });
      throw e;
    }
  }
}

/** The configurator for a profile: its routing, search domains and kill switch, for the resolved server address. */
export function networkConfiguratorFor(
  profile: Pick<Profile, 'routing' | 'dns' | 'killSwitch'>,
  helper: HelperApi,
  serverAddress: string,
  extra: Omit<
    HelperNetworkOptions,
    'helper' | 'routing' | 'searchDomains' | 'serverAddress' | 'killSwitch'
  > = {},
): HelperNetworkConfigurator {
  return new HelperNetworkConfigurator({
    ...extra,
    helper,
    routing: profile.routing,
    searchDomains: profile.dns.searchDomains,
    serverAddress,
    killSwitch: profile.killSwitch,
  });
}
