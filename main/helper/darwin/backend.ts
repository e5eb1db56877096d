/** The macOS backend: utun held open by the helper, ifconfig/route, scutil for DNS, a pf anchor as kill switch. */
import type { Logger } from '../../../core/common/log';
import type {
  DnsSettings,
  HelperBackend,
  KillSwitchSettings,
  NextHop,
  PlannedChange,
  Route,
  TunOwner,
  UndoRecord,
} from '../backend';
import { CommandError, type CommandRunner, check } from '../exec';
import {
  alreadyGone,
  exists,
  ifconfig,
  KILL_SWITCH_ANCHOR,
  parsePfToken,
  parseRouteGet,
  pfctl,
  pfKillSwitchRules,
  route,
  scutil,
  scutilRemove,
  scutilSetDns,
  serviceKey,
} from './commands';
import { type DarwinSys, openUtun } from './utun';

export interface DarwinBackendDeps {
  readonly runner: CommandRunner;
  readonly sys: DarwinSys;
  readonly logger: Logger;
}

export class DarwinBackend implements HelperBackend {
  readonly platform = 'darwin' as const;
  private readonly run: CommandRunner;
  /** utun fds we hold (closing one removes the device). */
  private readonly devices = new Map<string, number>();
  private readonly addresses = new Map<string, string>();

  constructor(private readonly deps: DarwinBackendDeps) {
    this.run = deps.runner;
  }

  async createTun(_owner: TunOwner | undefined): Promise<string> {
    const { fd, name } = openUtun(this.deps.sys);
    this.devices.set(name, fd);
    return name;
  }

  async bringUp(name: string, mtu: number): Promise<void> {
    await check(this.run, ifconfig.up(name, mtu));
  }

  async setAddress(name: string, address: string, prefix: number, peer?: string): Promise<void> {
    await check(this.run, ifconfig.address(name, address, prefix, peer));
    this.addresses.set(name, address);
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await check(this.run, ifconfig.mtu(name, mtu));
  }

  async addRoute(r: Route): Promise<'added' | 'existed'> {
    const argv = route.add(r);
    const res = await this.run.run(argv);
    if (res.code === 0) return 'added';
    if (exists(res.stderr)) return 'existed';
    throw new CommandError(argv, res);
  }

  async nextHop(address: string): Promise<NextHop> {
    const res = await check(this.run, route.get(address));
    const hop = parseRouteGet(res.stdout);
    if (!hop) throw new Error(`no route to ${address}`);
    return hop;
  }

  tunnelRoute(name: string, cidr: string): Route {
    return { cidr, dev: name };
  }

  serverRoute(server: string, hop: NextHop): Route {
    return { cidr: `${server}/32`, dev: hop.dev, ...(hop.via ? { via: hop.via } : {}) };
  }

  async planDns(name: string, dns: DnsSettings): Promise<PlannedChange> {
    const address = this.addresses.get(name) ?? null;
    const keys = [
      serviceKey(name, 'DNS'),
      ...(dns.defaultRoute && address ? [serviceKey(name, 'IPv4')] : []),
    ];
    return {
      undo: { kind: 'scutil-keys', keys },
      apply: async () => {
        await check(this.run, scutil(), { input: scutilSetDns(name, address, dns) });
        return undefined;
      },
    };
  }

  async planKillSwitch(name: string, s: KillSwitchSettings): Promise<PlannedChange> {
    return {
      undo: { kind: 'pf-anchor', anchor: KILL_SWITCH_ANCHOR, token: null },
      apply: async () => {
        await check(this.run, pfctl.load(KILL_SWITCH_ANCHOR), { input: pfKillSwitchRules(name, s) });
        const r = await check(this.run, pfctl.enable());
        return {
          kind: 'pf-anchor',
          anchor: KILL_SWITCH_ANCHOR,
          token: parsePfToken(`${r.stdout}\n${r.stderr}`),
        };
      },
    };
  }

  async undo(record: UndoRecord): Promise<void> {
    switch (record.kind) {
      case 'tun': {
        const fd = this.devices.get(record.name);
        this.devices.delete(record.name);
        this.addresses.delete(record.name);
        // After a crash the kernel already closed the fd, and the utun went with it.
        if (fd !== undefined) this.deps.sys.close(fd);
        return;
      }
      case 'route':
        return this.tolerant(route.delete(record));
      case 'scutil-keys':
        await check(this.run, scutil(), { input: scutilRemove(record.keys) });
        return;
      case 'pf-anchor':
        await this.tolerant(pfctl.flush(record.anchor));
        if (record.token) await this.tolerant(pfctl.release(record.token));
        return;
      default:
        throw new Error(`not a macOS undo record: ${record.kind}`);
    }
  }

  private async tolerant(argv: readonly string[]): Promise<void> {
    const r = await this.run.run(argv);
    if (r.code === 0 || alreadyGone(r.stderr)) return;
    throw new CommandError(argv, r);
  }
}
