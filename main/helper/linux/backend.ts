/** The Linux backend: /dev/net/tun via koffi, iproute2, nftables, systemd-resolved or resolv.conf. */
import type { Logger } from '../../../core/common/log';
import type {
  DnsSettings,
  HelperBackend,
  KillSwitchSettings,
  NextHop,
  PlannedChange,
  Route,
  RouteOutcome,
  TunOwner,
  UndoRecord,
} from '../backend';
import { CommandError, type CommandRunner, check } from '../exec';
import {
  alreadyGone,
  batchLine,
  exists,
  ip,
  nft,
  parseBatchErrors,
  parseRouteGet,
  resolvectl,
} from './commands';
import { type FileOps, RESOLV_CONF, renderResolvConf, restoreResolvConf } from './dns';
import { KILL_SWITCH_TABLE, killSwitchRuleset, mssClampRuleset, mssTable } from './nftRules';
import type { TunSyscalls } from './tunDevice';

export interface LinuxBackendDeps {
  readonly runner: CommandRunner;
  readonly tun: TunSyscalls;
  readonly files: FileOps;
  /** Whether systemd-resolved manages DNS (checked at each setDns). */
  readonly resolved: () => boolean;
  readonly resolvConfPath?: string;
  /** Device name pattern; the kernel fills in %d. */
  readonly namePattern?: string;
  readonly logger: Logger;
}

export class LinuxBackend implements HelperBackend {
  readonly platform = 'linux' as const;
  private readonly run: CommandRunner;
  private readonly log: Logger;
  private readonly resolvConf: string;

  constructor(private readonly deps: LinuxBackendDeps) {
    this.run = deps.runner;
    this.log = deps.logger;
    this.resolvConf = deps.resolvConfPath ?? RESOLV_CONF;
  }

  async createTun(owner: TunOwner | undefined): Promise<string> {
    return this.deps.tun.create(this.deps.namePattern ?? 'ferry%d', owner);
  }

  async bringUp(name: string, mtu: number): Promise<void> {
    await check(this.run, ip.linkMtu(name, mtu));
    await check(this.run, ip.linkUp(name));
  }

  planMssClamp(name: string): PlannedChange {
    return {
      undo: { kind: 'nft-table', family: 'inet', table: mssTable(name) },
      apply: async () => {
        await check(this.run, nft.load(), { input: mssClampRuleset(name) });
        return undefined;
      },
    };
  }

  async openTunFd(name: string): Promise<number> {
    return this.deps.tun.attach(name);
  }

  async setAddress(name: string, address: string, prefix: number, peer?: string): Promise<void> {
    await check(this.run, ip.addrFlush(name));
    await check(this.run, ip.addrAdd(name, address, prefix, peer));
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await check(this.run, ip.linkMtu(name, mtu));
  }

  async addRoute(route: Route): Promise<'added' | 'existed'> {
    const argv = ip.routeAdd(route);
    const r = await this.run.run(argv);
    if (r.code === 0) return 'added';
    if (exists(r.stderr)) return 'existed';
    throw new CommandError(argv, r);
  }

  async addRoutes(routes: readonly Route[]): Promise<RouteOutcome[]> {
    const errors = await this.batch(routes.map((r) => batchLine(ip.routeAdd(r))));
    return errors.map((e) => (e === null ? 'added' : exists(e) ? 'existed' : new Error(e)));
  }

  async removeRoutes(routes: readonly Route[]): Promise<(Error | null)[]> {
    const errors = await this.batch(routes.map((r) => batchLine(ip.routeDelete(r))));
    return errors.map((e) => (e === null || alreadyGone(e) ? null : new Error(e)));
  }

  /** One `ip -batch` exec; per line null or the error text. */
  private async batch(lines: readonly string[]): Promise<(string | null)[]> {
    if (!lines.length) return [];
    const argv = ip.batch();
    const r = await this.run.run(argv, { input: `${lines.join('\n')}\n` });
    const errors = parseBatchErrors(r.stderr, lines.length);
    if (r.code !== 0 && errors.every((e) => e === null)) throw new CommandError(argv, r);
    return errors;
  }

  async nextHop(address: string): Promise<NextHop> {
    const r = await check(this.run, ip.routeGet(address));
    const hop = parseRouteGet(r.stdout);
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
    if (this.deps.resolved()) {
      return {
        undo: { kind: 'dns-resolved', link: name },
        apply: async () => {
          await check(this.run, resolvectl.dns(name, dns.servers));
          const domains = [...dns.searchDomains, ...(dns.defaultRoute ? ['~.'] : [])];
          if (domains.length) await check(this.run, resolvectl.domain(name, domains));
          await check(this.run, resolvectl.defaultRoute(name, dns.defaultRoute));
          return undefined;
        },
      };
    }
    const path = this.resolvConf;
    const original = this.deps.files.read(path);
    const written = renderResolvConf(name, dns);
    return {
      undo: {
        kind: 'dns-file',
        path,
        original: original.toString('base64'),
        written: written.toString('base64'),
      },
      apply: async () => {
        this.deps.files.write(path, written);
        return undefined;
      },
    };
  }

  async planKillSwitch(name: string, settings: KillSwitchSettings): Promise<PlannedChange> {
    return {
      undo: { kind: 'nft-table', family: 'inet', table: KILL_SWITCH_TABLE },
      apply: async () => {
        await check(this.run, nft.load(), { input: killSwitchRuleset(name, settings) });
        return undefined;
      },
    };
  }

  async undo(record: UndoRecord): Promise<void> {
    switch (record.kind) {
      case 'tun':
        return this.tolerant(ip.linkDelete(record.name));
      case 'route':
        return this.tolerant(ip.routeDelete(record));
      case 'nft-table':
        return this.tolerant(nft.deleteTable(record.family, record.table));
      case 'dns-resolved':
        return this.tolerant(resolvectl.revert(record.link));
      case 'dns-file': {
        const outcome = restoreResolvConf(
          this.deps.files,
          record.path,
          Buffer.from(record.original, 'base64'),
          Buffer.from(record.written, 'base64'),
        );
        if (outcome === 'changed-by-someone-else')
          this.log.warn('resolv.conf was rewritten by someone else while the tunnel was up; left as it is', {
            path: record.path,
          });
        return;
      }
      default:
        throw new Error(`not a Linux undo record: ${record.kind}`);
    }
  }

  /** Runs an undo command; "already gone" counts as done. */
  private async tolerant(argv: readonly string[]): Promise<void> {
    const r = await this.run.run(argv);
    if (r.code === 0 || alreadyGone(r.stderr)) return;
    throw new CommandError(argv, r);
  }
}
