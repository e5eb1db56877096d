/**
 * What each OS backend does, behind one interface. Every change a backend makes comes back as an undo record:
 * plain JSON that the journal (state file) keeps until the change is undone, so a restarted helper can undo what
 * a crashed one left behind.
 */
import { z } from 'zod';

const b64 = z.string().max(1 << 20);

export const undoRecordSchema = z.discriminatedUnion('kind', [
  /** A device we created (Linux persistent TUN, macOS utun held open, Windows Wintun adapter). */
  z.object({ kind: z.literal('tun'), name: z.string().max(64) }),
  /** A route we added. `dev` is the interface (or Windows interface index), `via` the next hop if any. */
  z.object({
    kind: z.literal('route'),
    cidr: z.string().max(32),
    dev: z.string().max(64),
    via: z.string().max(32).optional(),
  }),
  /** resolv.conf before and after our rewrite, base64, for a byte-exact restore. */
  z.object({ kind: z.literal('dns-file'), path: z.string().max(4096), original: b64, written: b64 }),
  /** systemd-resolved per-link settings (`resolvectl revert`). */
  z.object({ kind: z.literal('dns-resolved'), link: z.string().max(64) }),
  /** An nftables table of our own. */
  z.object({ kind: z.literal('nft-table'), family: z.literal('inet'), table: z.string().max(64) }),
  /** macOS: dynamic-store keys we set with scutil. */
  z.object({ kind: z.literal('scutil-keys'), keys: z.array(z.string().max(256)).max(8) }),
  /** macOS: our pf anchor and the reference we took on pf's enable count. */
  z.object({
    kind: z.literal('pf-anchor'),
    anchor: z.string().max(128),
    token: z.string().max(32).nullable(),
  }),
  /** Windows: DNS servers/search list set on our adapter. */
  z.object({ kind: z.literal('win-dns'), index: z.string().max(16), guid: z.string().max(64) }),
  /** Windows: firewall rules we added and each profile's policy before. */
  z.object({
    kind: z.literal('win-firewall'),
    rules: z.array(z.string().max(128)).max(8),
    policies: z.record(z.string().max(16), z.string().max(64)),
  }),
]);
export type UndoRecord = z.infer<typeof undoRecordSchema>;

export interface TunOwner {
  readonly uid: number;
  readonly gid?: number;
}

export interface Route {
  readonly cidr: string;
  /** Interface name (Linux/macOS) or interface index (Windows). */
  readonly dev: string;
  readonly via?: string;
}

export interface DnsSettings {
  readonly servers: readonly string[];
  readonly searchDomains: readonly string[];
  readonly defaultRoute: boolean;
}

export interface KillSwitchSettings {
  readonly server: string;
  readonly serverPorts: readonly number[];
}

/** Where the OS currently sends packets for an address (before the tunnel takes the default route). */
export interface NextHop {
  readonly via: string | null;
  readonly dev: string;
}

export type RouteOutcome = 'added' | 'existed' | Error;

/**
 * A change that is described before it is made: the service journals `undo` first, then calls `apply()`.
 * `apply()` may return a refined undo record (e.g. a token the OS handed out) that replaces the journaled one.
 */
export interface PlannedChange {
  readonly undo: UndoRecord;
  apply(): Promise<UndoRecord | undefined>;
}

export interface HelperBackend {
  readonly platform: 'linux' | 'darwin' | 'win32';
  /** Creates the device (nothing else) and returns its name; the service journals it right away. */
  createTun(owner: TunOwner | undefined): Promise<string>;
  /** MTU and link up, right after creation. */
  bringUp(name: string, mtu: number): Promise<void>;
  /** TCP MSS clamping for SYNs forwarded through the device; undefined when the OS backend has none. */
  planMssClamp?(name: string): PlannedChange;
  /** A fresh fd attached to `name`, to pass to the app; absent when the OS has no such thing. */
  openTunFd?(name: string): Promise<number>;
  setAddress(name: string, address: string, prefix: number, peer?: string): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  /** 'existed' when an identical route was already there (then it is not ours to remove). */
  addRoute(route: Route): Promise<'added' | 'existed'>;
  /** Optional batch form of addRoute: one outcome per route (every route is attempted). */
  addRoutes?(routes: readonly Route[]): Promise<RouteOutcome[]>;
  /** Optional batch removal: per route null (removed or already gone) or the error. */
  removeRoutes?(routes: readonly Route[]): Promise<(Error | null)[]>;
  /** The route a packet to `address` takes right now. */
  nextHop(address: string): Promise<NextHop>;
  /** The route a full tunnel adds through the tunnel device for `cidr` (0.0.0.0/1, 128.0.0.0/1). */
  tunnelRoute(name: string, cidr: string): Route;
  /** The host route that keeps the server reachable outside the tunnel, via today's next hop. */
  serverRoute(server: string, hop: NextHop): Route;
  planDns(name: string, dns: DnsSettings): Promise<PlannedChange>;
  planKillSwitch(name: string, settings: KillSwitchSettings): Promise<PlannedChange>;
  /** Undoes one record; tolerant of a change that is already gone (repair after a crash). */
  undo(record: UndoRecord): Promise<void>;
}

/** A short description for logs and status. */
export function describeUndo(r: UndoRecord): string {
  switch (r.kind) {
    case 'tun':
      return `tun ${r.name}`;
    case 'route':
      return `route ${r.cidr} dev ${r.dev}${r.via ? ` via ${r.via}` : ''}`;
    case 'dns-file':
      return `dns ${r.path}`;
    case 'dns-resolved':
      return `dns resolved ${r.link}`;
    case 'nft-table':
      return `nft ${r.family} ${r.table}`;
    case 'scutil-keys':
      return `scutil ${r.keys.join(' ')}`;
    case 'pf-anchor':
      return `pf ${r.anchor}`;
    case 'win-dns':
      return `dns if ${r.index}`;
    case 'win-firewall':
      return `firewall ${r.rules.length} rules`;
  }
}
