/** The Windows backend: a Wintun adapter held by the helper, netsh for addresses/routes/DNS/firewall, reg for search domains. */
import { randomUUID } from 'node:crypto';
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
  KILL_SWITCH_RULES,
  killSwitchRules,
  netsh,
  parseFirewallPolicies,
  reg,
} from './commands';
import type { WintunApi } from './wintun';

export interface Win32BackendDeps {
  readonly runner: CommandRunner;
  readonly wintun: WintunApi;
  /** Adapter GUIDs (injected for deterministic tests). */
  readonly newGuid?: () => string;
}

interface Adapter {
  readonly handle: unknown;
  readonly index: string;
  readonly guid: string;
  address?: string;
}

export class Win32Backend implements HelperBackend {
  readonly platform = 'win32' as const;
  private readonly run: CommandRunner;
  private readonly adapters = new Map<string, Adapter>();

  constructor(private readonly deps: Win32BackendDeps) {
    this.run = deps.runner;
  }

  async createTun(_owner: TunOwner | undefined): Promise<string> {
    let n = 0;
    while (this.adapters.has(`Ferry${n}`)) n++;
    const name = `Ferry${n}`;
    const guid = (this.deps.newGuid ?? randomUUID)();
    const handle = this.deps.wintun.createAdapter(name, 'Ferry', guid);
    if (handle === null)
      throw new Error(`WintunCreateAdapter failed (error ${this.deps.wintun.lastError()})`);
    this.adapters.set(name, { handle, index: String(this.deps.wintun.interfaceIndex(handle)), guid });
    return name;
  }

  async bringUp(name: string, mtu: number): Promise<void> {
    await check(this.run, netsh.setMtu(this.adapter(name).index, mtu));
  }

  async setAddress(name: string, address: string, prefix: number, _peer?: string): Promise<void> {
    const a = this.adapter(name);
    await check(this.run, netsh.setAddress(a.index, address, prefix));
    a.address = address;
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await check(this.run, netsh.setMtu(this.adapter(name).index, mtu));
  }

  async addRoute(r: Route): Promise<'added' | 'existed'> {
    const argv = netsh.route('add', r);
    const res = await this.run.run(argv);
    if (res.code === 0) return 'added';
    if (exists(`${res.stdout}\n${res.stderr}`)) return 'existed';
    throw new CommandError(argv, res);
  }

  async nextHop(address: string): Promise<NextHop> {
    const best = this.deps.wintun.bestRoute(address);
    if (!best) throw new Error(`no route to ${address}`);
    return { via: best.nextHop === '0.0.0.0' ? null : best.nextHop, dev: String(best.ifIndex) };
  }

  tunnelRoute(name: string, cidr: string): Route {
    return { cidr, dev: this.adapter(name).index };
  }

  serverRoute(server: string, hop: NextHop): Route {
    return { cidr: `${server}/32`, dev: hop.dev, ...(hop.via ? { via: hop.via } : {}) };
  }

  async planDns(name: string, dns: DnsSettings): Promise<PlannedChange> {
    const a = this.adapter(name);
    return {
      undo: { kind: 'win-dns', index: a.index, guid: a.guid },
      apply: async () => {
        await check(this.run, netsh.setDnsPrimary(a.index, dns.servers[0]!));
        for (let i = 1; i < dns.servers.length; i++)
          await check(this.run, netsh.addDns(a.index, dns.servers[i]!, i + 1));
        if (dns.searchDomains.length)
          await check(this.run, reg.setSearchList(`{${a.guid}}`, dns.searchDomains));
        if (dns.defaultRoute) await check(this.run, netsh.setMetric(a.index, 1));
        return undefined;
      },
    };
  }

  async planKillSwitch(name: string, s: KillSwitchSettings): Promise<PlannedChange> {
    const a = this.adapter(name);
    if (!a.address) throw new Error('set the tunnel address before enabling the kill switch');
    const shown = await check(this.run, netsh.showFirewallPolicy());
    const policies = parseFirewallPolicies(shown.stdout);
    if (!policies) throw new Error('cannot read the current firewall policy');
    const address = a.address;
    return {
      undo: { kind: 'win-firewall', rules: Object.values(KILL_SWITCH_RULES), policies },
      apply: async () => {
        for (const argv of killSwitchRules(address, s)) await check(this.run, argv);
        await check(this.run, netsh.setFirewallPolicy('all', 'blockinbound,blockoutbound'));
        return undefined;
      },
    };
  }

  async undo(record: UndoRecord): Promise<void> {
    switch (record.kind) {
      case 'tun': {
        const a = this.adapters.get(record.name);
        this.adapters.delete(record.name);
        if (a) this.deps.wintun.closeAdapter(a.handle);
        return;
      }
      case 'route':
        return this.tolerant(netsh.route('delete', record));
      case 'win-dns':
        await this.tolerant(netsh.resetDns(record.index));
        await this.tolerant(reg.deleteSearchList(`{${record.guid}}`));
        return;
      case 'win-firewall':
        for (const [profile, policy] of Object.entries(record.policies))
          await check(this.run, netsh.setFirewallPolicy(profile, policy));
        for (const rule of record.rules) await this.tolerant(netsh.deleteRule(rule));
        return;
      default:
        throw new Error(`not a Windows undo record: ${record.kind}`);
    }
  }

  private adapter(name: string): Adapter {
    const a = this.adapters.get(name);
    if (!a) throw new Error(`no adapter ${name}`);
    return a;
  }

  private async tolerant(argv: readonly string[]): Promise<void> {
    const r = await this.run.run(argv);
    if (r.code === 0 || alreadyGone(`${r.stdout}\n${r.stderr}`)) return;
    throw new CommandError(argv, r);
  }
}
