/** Test doubles for the helper: a recording command runner and an in-memory backend. */
import type {
  DnsSettings,
  HelperBackend,
  KillSwitchSettings,
  NextHop,
  PlannedChange,
  Route,
  TunOwner,
  UndoRecord,
} from '../../../main/helper/backend';
import type { CommandResult, CommandRunner } from '../../../main/helper/exec';

/** Records every argv (and stdin) and answers from a script. */
export class RecordingRunner implements CommandRunner {
  readonly calls: { argv: string[]; input?: string }[] = [];

  constructor(
    private readonly respond: (
      argv: readonly string[],
      input?: string,
    ) => Partial<CommandResult> | undefined = () => undefined,
  ) {}

  async run(argv: readonly string[], opts?: { readonly input?: string }): Promise<CommandResult> {
    this.calls.push(opts?.input === undefined ? { argv: [...argv] } : { argv: [...argv], input: opts.input });
    const r = this.respond(argv, opts?.input) ?? {};
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  argvs(): string[][] {
    return this.calls.map((c) => c.argv);
  }
}

/**
 * An in-memory OS: devices, routes, DNS and a kill switch as plain state, so tests can check that what a session
 * applied is exactly undone. `failOn` makes one operation fail.
 */
export class FakeBackend implements HelperBackend {
  readonly platform = 'linux' as const;
  readonly devices = new Set<string>();
  readonly routes = new Set<string>();
  dns: string | null = null;
  killSwitch: string | null = null;
  mss = new Set<string>();
  readonly log: string[] = [];
  failOn: ((op: string, arg?: string) => boolean) | null = null;
  /** Makes createTun wait for this promise (to hold a request in flight). */
  createGate: Promise<void> | null = null;
  /** Routes that already exist on the "machine" before we start. */
  readonly preexisting = new Set<string>();
  hop: NextHop = { via: '192.0.2.1', dev: 'eth0' };
  private n = 0;

  private check(op: string, arg?: string): void {
    this.log.push(arg === undefined ? op : `${op} ${arg}`);
    if (this.failOn?.(op, arg)) throw new Error(`${op} failed`);
  }

  async createTun(owner: TunOwner | undefined): Promise<string> {
    this.check('createTun', owner ? String(owner.uid) : 'none');
    if (this.createGate) await this.createGate;
    const name = `ferry${this.n++}`;
    this.devices.add(name);
    return name;
  }
  async bringUp(name: string, mtu: number): Promise<void> {
    this.check('bringUp', `${name} ${mtu}`);
  }
  planMssClamp(name: string): PlannedChange {
    return {
      undo: { kind: 'nft-table', family: 'inet', table: `ferry_mss_${name}` },
      apply: async () => {
        this.check('mss', name);
        this.mss.add(name);
        return undefined;
      },
    };
  }
  async openTunFd(name: string): Promise<number> {
    this.check('openTunFd', name);
    return 99;
  }
  async setAddress(name: string, address: string, prefix: number, peer?: string): Promise<void> {
    this.check('setAddress', `${name} ${address}/${prefix}${peer ? ` peer ${peer}` : ''}`);
  }
  async setMtu(name: string, mtu: number): Promise<void> {
    this.check('setMtu', `${name} ${mtu}`);
  }
  async addRoute(r: Route): Promise<'added' | 'existed'> {
    const key = routeKey(r);
    this.check('addRoute', key);
    if (this.preexisting.has(key) || this.routes.has(key)) return 'existed';
    this.routes.add(key);
    return 'added';
  }
  async nextHop(address: string): Promise<NextHop> {
    this.check('nextHop', address);
    return this.hop;
  }
  tunnelRoute(name: string, cidr: string): Route {
    return { cidr, dev: name };
  }
  serverRoute(server: string, hop: NextHop): Route {
    return { cidr: `${server}/32`, dev: hop.dev, ...(hop.via ? { via: hop.via } : {}) };
  }
  async planDns(name: string, dns: DnsSettings): Promise<PlannedChange> {
    return {
      undo: { kind: 'dns-resolved', link: name },
      apply: async () => {
        this.check('setDns', `${name} ${dns.servers.join(',')}`);
        this.dns = name;
        return undefined;
      },
    };
  }
  async planKillSwitch(name: string, s: KillSwitchSettings): Promise<PlannedChange> {
    return {
      undo: { kind: 'nft-table', family: 'inet', table: 'ferry_killswitch' },
      apply: async () => {
        this.check('killSwitch', `${name} ${s.server}`);
        this.killSwitch = name;
        return undefined;
      },
    };
  }
  async undo(r: UndoRecord): Promise<void> {
    this.check('undo', JSON.stringify(r));
    switch (r.kind) {
      case 'tun':
        this.devices.delete(r.name);
        for (const k of [...this.routes]) if (k.endsWith(` dev ${r.name}`)) this.routes.delete(k);
        return;
      case 'route':
        this.routes.delete(routeKey(r));
        return;
      case 'dns-resolved':
        this.dns = null;
        return;
      case 'nft-table':
        if (r.table === 'ferry_killswitch') this.killSwitch = null;
        else this.mss.delete(r.table.replace('ferry_mss_', ''));
        return;
      default:
        throw new Error(`unexpected ${r.kind}`);
    }
  }

  /** Everything the fake OS holds, for before/after comparisons. */
  snapshot(): string {
    return JSON.stringify({
      devices: [...this.devices].sort(),
      routes: [...this.routes].sort(),
      dns: this.dns,
      killSwitch: this.killSwitch,
      mss: [...this.mss].sort(),
    });
  }
}

export const routeKey = (r: Route) => `${r.cidr}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}`;
