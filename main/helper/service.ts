/**
 * The helper's request handlers. Each client session owns what it created; every change is journaled (state
 * file) before it is made and undone when the session asks, when it goes away, or when a restarted helper finds
 * it in the journal. All work is serialised: one change at a time, machine-wide.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../core/common/log';
import { describeUndo, type HelperBackend } from './backend';
import { asRefusal, Changes, type UndoSummary } from './changes';
import type { Journal, JournalEntry } from './journal';
import {
  LIMITS,
  PROTOCOL_VERSION,
  Refusal,
  type Request,
  type RequestArgs,
  type RequestResult,
  type SessionStatus,
} from './protocol';

export interface PeerInfo {
  /** Null in stdio mode: the peer is the process that started the helper elevated. */
  readonly uid: number | null;
  readonly gid: number | null;
  readonly pid: number | null;
  readonly transport: 'socket' | 'stdio';
}

interface Session {
  readonly id: string;
  readonly peer: PeerInfo;
  /** Devices this session created: the token for openTunFd and the uid allowed to attach (TUNSETOWNER). */
  readonly tuns: Map<string, { readonly token: string; readonly ownerUid: number | null }>;
}

export type { UndoSummary };

const FULL_TUNNEL = ['0.0.0.0/1', '128.0.0.0/1'] as const;

const isDns = (e: JournalEntry) =>
  e.undo.kind.startsWith('dns') || e.undo.kind === 'scutil-keys' || e.undo.kind === 'win-dns';
const isKillSwitch = (e: JournalEntry) =>
  (e.undo.kind === 'nft-table' && e.undo.table === 'ferry_killswitch') ||
  e.undo.kind === 'pf-anchor' ||
  e.undo.kind === 'win-firewall';

export class HelperService {
  private readonly sessions = new Map<string, Session>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly changes: Changes;

  constructor(
    private readonly backend: HelperBackend,
    private readonly journal: Journal,
    private readonly log: Logger,
  ) {
    this.changes = new Changes(backend, journal, log);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  openSession(peer: PeerInfo): string {
    const id = randomBytes(6).toString('hex');
    this.sessions.set(id, { id, peer, tuns: new Map() });
    return id;
  }

  /** Runs one validated request for a session; rejects with a Refusal. */
  handle(sessionId: string, req: Request): Promise<unknown> {
    return this.serial(() => {
      const s = this.sessions.get(sessionId);
      if (!s) throw new Refusal('failed', 'session is closed');
      return this.dispatch(s, req);
    });
  }

  /** The session's client went away: undo everything it applied. */
  closeSession(sessionId: string): Promise<UndoSummary> {
    return this.serial(async () => {
      const s = this.sessions.get(sessionId);
      this.sessions.delete(sessionId);
      if (!s) return { undone: 0, failed: 0, ms: 0 };
      const summary = await this.changes.undo(this.journal.of(sessionId));
      if (summary.undone || summary.failed)
        this.log.info('session closed: its changes were undone', { session: sessionId, ...summary });
      return summary;
    });
  }

  /** At start: undo whatever a previous (crashed) helper left in the state file. */
  repair(): Promise<UndoSummary> {
    return this.serial(async () => {
      const left = this.journal.leftovers();
      if (!left.ok) {
        this.log.error('state file unreadable; nothing repaired', { error: left.error });
        return { undone: 0, failed: 0, ms: 0 };
      }
      if (!left.value.length) return { undone: 0, failed: 0, ms: 0 };
      this.log.warn('repairing changes left by a previous helper', {
        changes: left.value.map((e) => describeUndo(e.undo)),
      });
      const summary = await this.changes.undo(left.value);
      this.log.info('repair finished', { ...summary });
      return summary;
    });
  }

  /** Helper stopping: undo every change of every session. */
  shutdown(): Promise<UndoSummary> {
    return this.serial(async () => {
      this.sessions.clear();
      return this.changes.undo(this.journal.all());
    });
  }

  /** openTunFd: the token returned by createTun is the proof of ownership (it may come on another connection). */
  tunFd(sessionId: string, name: string, token: string): Promise<number> {
    return this.serial(async () => {
      const caller = this.sessions.get(sessionId);
      if (!caller) throw new Refusal('failed', 'session is closed');
      const owner = [...this.sessions.values()].find((s) => s.tuns.get(name)?.token === token);
      if (!owner) throw new Refusal('not-ours', `no device ${name} with that token`);
      const uid = caller.peer.uid;
      const tun = owner.tuns.get(name)!;
      if (uid !== null && uid !== 0 && uid !== owner.peer.uid && uid !== tun.ownerUid)
        throw new Refusal('unauthorized', 'the device belongs to another user');
      if (!this.backend.openTunFd) throw new Refusal('failed', 'fd passing is not available on this OS');
      return this.backend.openTunFd(name);
    });
  }

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async dispatch(s: Session, req: Request): Promise<unknown> {
    switch (req.type) {
      case 'hello':
        if (req.args.version !== PROTOCOL_VERSION)
          throw new Refusal('malformed', `protocol version ${req.args.version} is not ${PROTOCOL_VERSION}`);
        return { version: PROTOCOL_VERSION, platform: this.backend.platform, uid: s.peer.uid };
      case 'createTun':
        return this.createTun(s, req.args);
      case 'openTunFd':
        throw new Refusal('invalid-argument', 'openTunFd needs a transport that can pass descriptors');
      case 'setAddress':
        this.own(s, req.args.name);
        await this.os(() =>
          this.backend.setAddress(req.args.name, req.args.address, req.args.prefix, req.args.peer),
        );
        return {};
      case 'setMtu':
        this.own(s, req.args.name);
        await this.os(() => this.backend.setMtu(req.args.name, req.args.mtu));
        return {};
      case 'addRoutes':
        return this.addRoutes(s, req.args);
      case 'removeRoutes':
        return this.removeRoutes(s, req.args);
      case 'setFullTunnel':
        return this.setFullTunnel(s, req.args);
      case 'setDns':
        return this.setDns(s, req.args);
      case 'restoreDns':
        return { restored: (await this.changes.undo(this.journal.of(s.id).filter(isDns))).undone > 0 };
      case 'enableKillSwitch':
        return this.enableKillSwitch(s, req.args);
      case 'disableKillSwitch':
        return { disabled: (await this.changes.undo(this.journal.of(s.id).filter(isKillSwitch))).undone > 0 };
      case 'destroyTun':
        this.own(s, req.args.name);
        await this.changes.undo(this.journal.of(s.id, req.args.name));
        s.tuns.delete(req.args.name);
        return {};
      case 'restoreAll': {
        const r = await this.changes.undo(this.journal.of(s.id));
        s.tuns.clear();
        return { undone: r.undone };
      }
      case 'status':
        return {
          version: PROTOCOL_VERSION,
          platform: this.backend.platform,
          sessions: this.sessions.size,
          session: this.statusOf(s),
        } satisfies RequestResult<'status'>;
    }
  }

  private async createTun(s: Session, a: RequestArgs<'createTun'>): Promise<RequestResult<'createTun'>> {
    if (s.tuns.size >= LIMITS.tunsPerSession) throw new Refusal('invalid-argument', 'too many devices');
    const uid = s.peer.uid;
    if (
      a.owner &&
      uid !== null &&
      uid !== 0 &&
      (a.owner.uid !== uid || (a.owner.gid ?? s.peer.gid) !== s.peer.gid)
    )
      throw new Refusal('unauthorized', 'only root may create a device for another user');
    const owner = a.owner ?? (uid !== null && uid !== 0 ? { uid } : undefined);
    const name = await this.os(() => this.backend.createTun(owner));
    this.journal.add(s.id, name, { kind: 'tun', name });
    const token = randomBytes(16).toString('hex');
    s.tuns.set(name, { token, ownerUid: owner?.uid ?? null });
    try {
      await this.os(() => this.backend.bringUp(name, a.mtu));
      if (a.clampMss) {
        if (!this.backend.planMssClamp)
          throw new Refusal('invalid-argument', 'MSS clamping is not available here');
        await this.changes.applyPlanned(s.id, name, this.backend.planMssClamp(name));
      }
    } catch (e) {
      await this.changes.undo(this.journal.of(s.id, name));
      s.tuns.delete(name);
      throw e;
    }
    this.log.info('device created', { name, owner: owner?.uid ?? null, mtu: a.mtu });
    return { name, token };
  }

  private async addRoutes(s: Session, a: RequestArgs<'addRoutes'>): Promise<RequestResult<'addRoutes'>> {
    this.own(s, a.name);
    const mine = this.journal.of(s.id).filter((e) => e.undo.kind === 'route');
    const fresh = [...new Set(a.cidrs)].filter(
      (c) => !mine.some((e) => e.undo.kind === 'route' && e.undo.cidr === c && e.undo.dev === a.name),
    );
    if (mine.length + fresh.length > LIMITS.routesPerSession)
      throw new Refusal('invalid-argument', 'too many routes');
    const routes = fresh.map((c) => this.backend.tunnelRoute(a.name, c));
    await this.changes.addRoutes(s.id, a.name, routes, 'refuse');
    return { added: routes.length };
  }

  private async removeRoutes(
    s: Session,
    a: RequestArgs<'removeRoutes'>,
  ): Promise<RequestResult<'removeRoutes'>> {
    this.own(s, a.name);
    const doomed = this.journal
      .of(s.id, a.name)
      .filter((e) => e.undo.kind === 'route' && e.undo.dev === a.name && a.cidrs.includes(e.undo.cidr));
    const r = await this.changes.undo(doomed);
    if (r.failed) throw new Refusal('failed', `${r.failed} route(s) could not be removed`);
    return { removed: r.undone };
  }

  private async setFullTunnel(
    s: Session,
    a: RequestArgs<'setFullTunnel'>,
  ): Promise<RequestResult<'setFullTunnel'>> {
    this.own(s, a.name);
    const routes = this.journal.of(s.id, a.name).filter((e) => e.undo.kind === 'route');
    if (routes.some((e) => e.undo.kind === 'route' && e.undo.cidr === FULL_TUNNEL[0]))
      throw new Refusal('failed', 'full tunnel is already set on this device');
    const hop = await this.os(() => this.backend.nextHop(a.server));
    if (s.tuns.has(hop.dev) || [...this.sessions.values()].some((o) => o.tuns.has(hop.dev)))
      throw new Refusal('failed', `the server ${a.server} is already routed through a tunnel device`);
    const server = this.backend.serverRoute(a.server, hop);
    await this.changes.addRoutes(s.id, a.name, [server], 'accept');
    try {
      await this.changes.addRoutes(
        s.id,
        a.name,
        FULL_TUNNEL.map((c) => this.backend.tunnelRoute(a.name, c)),
        'refuse',
      );
    } catch (e) {
      await this.changes.undo(
        this.journal.of(s.id, a.name).filter((x) => x.undo.kind === 'route' && x.undo.cidr === server.cidr),
      );
      throw e;
    }
    this.log.info('full tunnel set', { name: a.name, server: a.server, gateway: hop.via, device: hop.dev });
    return { gateway: hop.via, device: hop.dev };
  }

  private async setDns(s: Session, a: RequestArgs<'setDns'>): Promise<RequestResult<'setDns'>> {
    this.own(s, a.name);
    this.holder(s, isDns, 'DNS');
    await this.changes.undo(this.journal.of(s.id).filter(isDns));
    const plan = await this.os(() => this.backend.planDns(a.name, a));
    await this.changes.applyPlanned(s.id, a.name, plan);
    this.log.info('DNS set', { name: a.name, servers: a.servers, method: plan.undo.kind });
    return { method: plan.undo.kind };
  }

  private async enableKillSwitch(
    s: Session,
    a: RequestArgs<'enableKillSwitch'>,
  ): Promise<RequestResult<'enableKillSwitch'>> {
    this.own(s, a.name);
    this.holder(s, isKillSwitch, 'the kill switch');
    await this.changes.undo(this.journal.of(s.id).filter(isKillSwitch));
    await this.changes.applyPlanned(
      s.id,
      a.name,
      await this.os(() => this.backend.planKillSwitch(a.name, a)),
    );
    this.log.info('kill switch on', { name: a.name, server: a.server, ports: a.serverPorts });
    return {};
  }

  private own(s: Session, name: string): void {
    if (!s.tuns.has(name)) throw new Refusal('not-ours', `${name} was not created by this session`);
  }

  private holder(s: Session, is: (e: JournalEntry) => boolean, what: string): void {
    if (this.journal.all().some((e) => is(e) && e.session !== s.id))
      throw new Refusal('failed', `${what} is held by another session`);
  }

  private statusOf(s: Session): SessionStatus {
    const mine = this.journal.of(s.id);
    return {
      tuns: [...s.tuns.keys()],
      routes: mine.filter((e) => e.undo.kind === 'route').length,
      dns: mine.some(isDns),
      killSwitch: mine.some(isKillSwitch),
    };
  }

  private async os<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw asRefusal(e);
    }
  }
}
