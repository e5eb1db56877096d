/**
 * The OS side of one connection attempt: a helper session (routes, DNS, kill switch through the privileged
 * helper), the TUN device attached to this process, and the packet pump between the device and the tunnel.
 * One helper connection per attempt, so the helper's "undo everything this session applied" is exactly this
 * attempt's changes — also when this process is killed (the kernel closes the socket, the helper undoes).
 */
import { type ErrorPhase, FerryError, internalError, isFerryError } from '../../../core/common/errors';
import type { Logger } from '../../../core/common/log';
import type { NetworkConfigurator } from '../../../core/connection/connection';
import type { TunnelAddresses } from '../../../core/connection/state';
import type { Profile } from '../../../core/profile/schema';
import { openTun, type TunDevice, type TunStats, tunFromFd } from '../../../core/tun';
import type { HelperClient } from '../../helper/client';
import {
  type HelperApi,
  type HelperNetworkConfigurator,
  networkConfiguratorFor,
} from '../../helper/networkConfigurator';
import { type PacketEndpoint, PacketPump, type PumpCounters } from './packetPump';

/** What the helper applied for this attempt, for the UI and diagnostics. */
export interface NetworkInfo {
  readonly tunName: string | null;
  readonly routes: readonly string[];
  readonly dns: readonly string[];
  readonly searchDomains: readonly string[];
  readonly dnsMethod: string | null;
  readonly killSwitch: boolean;
}

export interface NetworkSession {
  readonly configurator: NetworkConfigurator;
  /** Where packets go once the device exists (the Connection). */
  bind(endpoint: PacketEndpoint): void;
  info(): NetworkInfo;
  stats(): { readonly tun: TunStats | null; readonly pump: PumpCounters | null };
  /** The OS side died while up (helper gone, device deleted). Called at most once. */
  onLost(handler: (error: FerryError) => void): void;
  /** Undoes routes/DNS (if still applied), closes the device and the helper session. Never rejects. */
  close(): Promise<void>;
}

export interface NetworkHost {
  open(req: {
    readonly profile: Profile;
    readonly serverAddress: string;
    readonly logger: Logger;
  }): Promise<NetworkSession>;
}

/** The helper connection as this module uses it (HelperClient, or a fake in tests). */
export type HelperConnection = HelperApi & Pick<HelperClient, 'openTunFd' | 'close' | 'onClose'>;

export interface HelperNetworkHostOptions {
  /** A new helper session (e.g. `() => HelperClient.connect({ socketPath })`). */
  readonly connect: (logger: Logger) => Promise<HelperConnection>;
  /**
   * How this process gets the device: 'fd' (the helper passes a descriptor, Linux socket mode), 'owner' (attach
   * by name as the device's owner, `openTun`), or 'auto' (default): 'owner' as root, 'fd' otherwise.
   */
  readonly attach?: 'auto' | 'fd' | 'owner';
  /** The clone device for 'owner' attach (default /dev/net/tun). */
  readonly tunDevicePath?: string;
  /** Who the device belongs to (stdio helpers cannot tell who their caller is). */
  readonly tunOwner?: { readonly uid: number; readonly gid?: number };
  /** For tests: the TUN layer. */
  readonly tun?: {
    readonly open: (name: string, devicePath?: string) => TunDevice;
    readonly fromFd: (name: string, fd: number) => TunDevice;
  };
}

const realTun = {
  open: (name: string, devicePath?: string) => openTun(name, devicePath ? { devicePath } : {}),
  fromFd: (name: string, fd: number) => tunFromFd(name, fd),
};

export class HelperNetworkHost implements NetworkHost {
  constructor(private readonly opts: HelperNetworkHostOptions) {}

  async open(req: { profile: Profile; serverAddress: string; logger: Logger }): Promise<NetworkSession> {
    const helper = await this.opts.connect(req.logger);
    return new HelperNetworkSession(helper, req.profile, req.serverAddress, req.logger, this.opts);
  }
}

/** Helper refusals and TUN errors surface with the phase they belong to. */
function inPhase(phase: ErrorPhase, e: unknown): FerryError {
  if (isFerryError(e))
    return new FerryError({ phase, code: e.code, message: e.message, hint: e.hint, cause: e });
  return internalError(phase, e);
}

class HelperNetworkSession implements NetworkSession {
  readonly configurator: NetworkConfigurator;
  private readonly inner: HelperNetworkConfigurator;
  private readonly applied = {
    routes: [] as string[],
    dns: [] as string[],
    searchDomains: [] as string[],
    dnsMethod: null as string | null,
    killSwitch: false,
  };
  private endpoint: PacketEndpoint | null = null;
  private tun: TunDevice | null = null;
  private pump: PacketPump | null = null;
  private lostHandler: ((e: FerryError) => void) | null = null;
  private lost = false;
  private closing: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(
    private readonly helper: HelperConnection,
    profile: Profile,
    serverAddress: string,
    logger: Logger,
    private readonly opts: HelperNetworkHostOptions,
  ) {
    this.log = logger.child('network-host');
    this.inner = networkConfiguratorFor(profile, this.recording(helper), serverAddress, {
      logger,
      ...(opts.tunOwner ? { tunOwner: opts.tunOwner } : {}),
    });
    this.configurator = {
      applyRoutes: (a) => this.applyRoutes(a),
      applyDns: (a) => this.inner.applyDns(a),
      restore: () => this.restore(),
    };
    helper.onClose((e) => {
      if (e && !this.closing)
        this.loseWith(new FerryError({ phase: 'helper', code: e.code, message: e.message, hint: e.hint }));
    });
  }

  bind(endpoint: PacketEndpoint): void {
    this.endpoint = endpoint;
  }

  info(): NetworkInfo {
    return { tunName: this.inner.tunName ?? this.tun?.name ?? null, ...this.applied };
  }

  stats() {
    return { tun: this.tun?.stats() ?? null, pump: this.pump?.counters() ?? null };
  }

  onLost(handler: (error: FerryError) => void): void {
    this.lostHandler = handler;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.restore();
      try {
        await this.helper.close();
      } catch (e) {
        this.log.warn('closing the helper session failed', { error: e });
      }
    })();
    return this.closing;
  }

  /** The device first, attached and pumping before any route points at it; then address, routes, kill switch. */
  private async applyRoutes(a: TunnelAddresses): Promise<void> {
    const t = await this.inner.ensureTun(a.mtu);
    if (!this.tun) {
      try {
        this.tun = await this.attach(t.name, t.token);
      } catch (e) {
        throw inPhase('routes', e);
      }
      this.tun.onError((e) =>
        this.loseWith(
          new FerryError({
            phase: 'established',
            code: 'tun-lost',
            message: `the TUN device ${t.name} went away: ${e.message}`,
            hint: 'something deleted the VPN interface; reconnect',
          }),
        ),
      );
      if (this.endpoint) this.pump = new PacketPump(this.tun, this.endpoint);
      this.log.info('tun attached', { name: t.name, via: this.attachMode() });
    }
    await this.inner.applyRoutes(a);
  }

  private attachMode(): 'fd-passing' | 'owner' {
    const mode = this.opts.attach ?? 'auto';
    return mode === 'fd' || (mode === 'auto' && process.getuid?.() !== 0) ? 'fd-passing' : 'owner';
  }

  private async attach(name: string, token: string): Promise<TunDevice> {
    const tun = this.opts.tun ?? realTun;
    if (this.attachMode() === 'fd-passing') return tun.fromFd(name, await this.helper.openTunFd(name, token));
    return tun.open(name, this.opts.tunDevicePath);
  }

  private async restore(): Promise<void> {
    this.pump?.stop();
    this.pump = null;
    await this.inner.restore();
    const tun = this.tun;
    this.tun = null;
    if (tun)
      await tun.close().catch((e: unknown) => this.log.warn('closing the TUN device failed', { error: e }));
  }

  private loseWith(e: FerryError): void {
    if (this.lost || this.closing) return;
    this.lost = true;
    this.log.warn('network side lost', { error: e });
    this.lostHandler?.(e);
  }

  /** Records what the helper applied (routes, DNS, kill switch) as the calls succeed. */
  private recording(h: HelperConnection): HelperApi {
    const a = this.applied;
    const api: HelperApi = {
      createTun: (x) => h.createTun(x),
      setAddress: (x) => h.setAddress(x),
      setMtu: (x) => h.setMtu(x),
      addRoutes: async (x) => {
        const r = await h.addRoutes(x);
        for (const c of x.cidrs) a.routes.push(`${c} dev ${x.name}`);
        return r;
      },
      setFullTunnel: async (x) => {
        const r = await h.setFullTunnel(x);
        a.routes.push(`0.0.0.0/1 dev ${x.name}`, `128.0.0.0/1 dev ${x.name}`);
        a.routes.push(`${x.server}/32 ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.device}`);
        return r;
      },
      setDns: async (x) => {
        const r = await h.setDns(x);
        a.dns = [...x.servers];
        a.searchDomains = [...(x.searchDomains ?? [])];
        a.dnsMethod = r.method;
        return r;
      },
      enableKillSwitch: async (x) => {
        const r = await h.enableKillSwitch(x);
        a.killSwitch = true;
        return r;
      },
      restoreAll: async () => {
        const r = await h.restoreAll();
        a.routes = [];
        a.dns = [];
        a.searchDomains = [];
        a.dnsMethod = null;
        a.killSwitch = false;
        return r;
      },
    };
    return api;
  }
}
