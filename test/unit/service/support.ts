/**
 * A ConnectionManager on fakes: the in-process LNS behind a FakeCarrier (a fresh server per attempt, so
 * reconnects meet a new one), a fake helper that records requests, and a fake TUN device whose packets can be
 * injected and collected — the real HelperNetworkHost, PacketPump and Connection run in between.
 */
import { FerryError } from '../../../core/common/errors';
import type { LogEntry } from '../../../core/common/log';
import { decodeIcmpEcho, encodeIcmpEcho } from '../../../core/net/ipv4';
import type { Profile } from '../../../core/profile/schema';
import type { TunDevice, TunStats } from '../../../core/tun';
import { ConnectionManager, type ConnectionManagerOptions } from '../../../main/service/connection/manager';
import { type HelperConnection, HelperNetworkHost } from '../../../main/service/connection/networkHost';
import { MemorySecretStore } from '../../../main/service/secrets/memory';
import { FakeClock, seededRandom } from '../../support/deterministic';
import { buildProfile, FakeCarrier, FakeLns, PASSWORD } from '../../support/fakeLns';
import { legacy, pppd } from '../ppp/linkHarness';

export const PSK = 'lab-psk-Xy9!';
export { PASSWORD };

/** An in-memory TUN device: `inject` plays the OS sending a packet, `written` is what the tunnel delivered. */
export class FakeTun implements TunDevice {
  readonly written: Uint8Array[] = [];
  closed = false;
  private handler: ((p: Uint8Array) => void) | null = null;
  private errorHandler: ((e: Error) => void) | null = null;

  constructor(readonly name: string) {}

  onPacket(h: (p: Uint8Array) => void): void {
    this.handler = h;
  }
  onError(h: (e: Error) => void): void {
    this.errorHandler = h;
  }
  write(p: Uint8Array): boolean {
    if (this.closed) return false;
    this.written.push(p.slice());
    return true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  stats(): TunStats {
    return {
      packetsIn: 0,
      bytesIn: 0,
      packetsOut: this.written.length,
      bytesOut: 0,
      writeErrors: 0,
      readErrors: 0,
    };
  }
  inject(p: Uint8Array): void {
    this.handler?.(p);
  }
  fail(e: Error): void {
    this.errorHandler?.(e);
  }
}

/** Records every request; `failOn(type)` makes one kind of request fail like a helper refusal. */
export class FakeHelper {
  readonly calls: [string, unknown][] = [];
  closed = 0;
  failOn: string | null = null;
  private closeHandler: ((e: FerryError | null) => void) | null = null;

  connection(): HelperConnection {
    const call =
      <R>(type: string, result: R) =>
      async (args?: unknown): Promise<R> => {
        this.calls.push([type, args]);
        if (this.failOn === type)
          throw new FerryError({ phase: 'helper', code: 'failed', message: `${type} refused`, hint: 'test' });
        return result;
      };
    return {
      createTun: call('createTun', { name: 'ferry0', token: 'a'.repeat(32) }),
      setAddress: call('setAddress', {}),
      setMtu: call('setMtu', {}),
      addRoutes: call('addRoutes', { added: 1 }),
      setFullTunnel: call('setFullTunnel', { gateway: '192.0.2.254', device: 'eth0' }),
      setDns: call('setDns', { method: 'resolv.conf' }),
      enableKillSwitch: call('enableKillSwitch', {}),
      restoreAll: call('restoreAll', { undone: 3 }),
      openTunFd: async () => 99,
      close: async () => {
        this.closed++;
      },
      onClose: (h: (e: FerryError | null) => void) => {
        this.closeHandler = h;
      },
    } as unknown as HelperConnection;
  }

  /** The helper process dies. */
  die(): void {
    this.closeHandler?.(
      new FerryError({
        phase: 'helper',
        code: 'helper-closed',
        message: 'the helper connection closed',
        hint: 'restart it',
      }),
    );
  }

  types(): string[] {
    return this.calls.map((c) => c[0]);
  }
}

export interface ManagerWorld {
  readonly clock: FakeClock;
  readonly manager: ConnectionManager;
  readonly helper: FakeHelper;
  readonly tuns: FakeTun[];
  readonly servers: FakeLns[];
  readonly carriers: FakeCarrier[];
  readonly secrets: MemorySecretStore;
  readonly logs: LogEntry[];
  /** When set, the next carriers fail at this phase (a server that stays away). */
  carrierFailure: { phase: 'ike-phase1' | 'quick-mode'; code: string } | null;
  /** Runs `p` on the fake clock. */
  run<T>(p: Promise<T>, maxMs?: number): Promise<T>;
}

export interface ManagerWorldOptions {
  readonly profile?: Record<string, unknown>;
  readonly methods?: Profile['userAuth']['methods'];
  readonly secrets?: { psk?: string; password?: string };
  readonly server?: Partial<Parameters<typeof pppd>[0]>;
  readonly lns?: { readonly authDelayMs?: number };
  readonly manager?: Partial<ConnectionManagerOptions>;
  readonly network?: boolean;
}

export async function managerWorld(
  o: ManagerWorldOptions = {},
): Promise<ManagerWorld & { profile: Profile }> {
  const clock = new FakeClock();
  const primitives = await legacy();
  const helper = new FakeHelper();
  const tuns: FakeTun[] = [];
  const servers: FakeLns[] = [];
  const carriers: FakeCarrier[] = [];
  const logs: LogEntry[] = [];
  const secrets = new MemorySecretStore({ 'fake-lns': o.secrets ?? { psk: PSK, password: PASSWORD } });
  const network =
    o.network === false
      ? null
      : new HelperNetworkHost({
          connect: async () => helper.connection(),
          attach: 'owner',
          tun: {
            open: (name) => {
              const t = new FakeTun(name);
              tuns.push(t);
              return t;
            },
            fromFd: (name) => new FakeTun(name),
          },
        });
  const w = {
    clock,
    helper,
    tuns,
    servers,
    carriers,
    secrets,
    logs,
    carrierFailure: null as ManagerWorld['carrierFailure'],
    run: <T>(p: Promise<T>, maxMs?: number) => clock.run(p, maxMs),
  } as ManagerWorld & { profile: Profile; manager: ConnectionManager };
  const manager = new ConnectionManager({
    secrets,
    network,
    clock,
    random: seededRandom(7),
    resolve: async () => '192.0.2.1',
    pppPrimitives: primitives,
    carrier: () => {
      const lns = new FakeLns({ clock, ppp: pppd(o.server ?? {}), primitives, ...o.lns });
      const carrier = new FakeCarrier({
        clock,
        lns,
        ...(w.carrierFailure ? { failAt: w.carrierFailure } : {}),
      });
      servers.push(lns);
      carriers.push(carrier);
      return carrier.factory;
    },
    sinks: [(e) => logs.push(e)],
    version: '0.1.0-test',
    ...o.manager,
  });
  const profile = buildProfile(
    o.methods,
    o.profile ?? { routing: { mode: 'split', subnets: ['10.10.0.0/16'] } },
  );
  Object.assign(w, { manager, profile });
  return w;
}

/** An ICMP echo request from the tunnel address to the fake server, as the OS would put it in the device. */
export function echoRequest(from: string, to: string, seq: number): Uint8Array {
  return encodeIcmpEcho(from, to, { type: 'request', id: 0x7777, seq, data: new Uint8Array(32).fill(seq) });
}

export function echoReplies(tun: FakeTun, from: string): number[] {
  return tun.written.flatMap((p) => {
    const e = decodeIcmpEcho(p);
    return e.ok && e.value.type === 'reply' && e.value.source === from ? [e.value.seq] : [];
  });
}
