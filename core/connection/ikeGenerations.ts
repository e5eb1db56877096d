/**
 * The carrier's IKE SAs over time (SPEC §1.7): phase 1 is rekeyed by a new Main Mode on the same sockets (IKEv1
 * has no in-place rekey; strongSwan adopts the ESP SAs into the new IKE SA), and the server may do the same
 * towards us (its reauthentication, answered by the MainModeResponder). The newest IKE SA is current; the one it
 * replaced retires (no DPD, its DELETE is no failure) and is deleted after the overlap.
 */
import { equalBytes } from '../common/bytes';
import type { Clock } from '../common/clock';
import type { FerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import { IkeSa, type IkeSaOptions } from '../ike/ikeSa';
import type { NattTransport } from '../ike/nattTransport';
import type { Phase1Proposal } from '../ike/proposals';
import { establishedError } from '../ike/quick/errors';
import type { DpdPolicy } from '../ike/tasks/dpd';
import { type EspSpis, Informational } from '../ike/tasks/informational';
import { MainModeResponder } from '../ike/tasks/mainModeResponder';
import type { QuickModeResponder } from '../ike/tasks/quickModeResponder';
import { type RekeySchedulePolicy, SaDeadline } from './saLifetime';

/** What a new Main Mode needs (ours, or the server's answered): auth, proposals, addresses, timeouts. */
export type IkeOptions = Omit<IkeSaOptions, 'transport' | 'clock' | 'random' | 'logger'> & {
  readonly localAddress: string;
  readonly proposals: readonly Phase1Proposal[];
};

export interface Generation {
  readonly n: number;
  readonly ikeSa: IkeSa;
  readonly informational: Informational;
  readonly responder: QuickModeResponder;
  deadline: SaDeadline | null;
  retired: boolean;
  closed: boolean;
}

export interface IkeRekeyCounters {
  ikeRekeys: number;
  ikeRekeysByServer: number;
  ikeRekeyFailures: number;
  ikeSasRetired: number;
}

export interface IkeGenerationsOptions {
  readonly transport: NattTransport;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly ike: IkeOptions;
  readonly dpd?: Partial<DpdPolicy> | false;
  readonly schedule: RekeySchedulePolicy;
  readonly overlapMs: number;
  /** The Quick Mode responder for a new IKE SA (the server may rekey ESP on any of them). */
  quickModeResponder(ikeSa: IkeSa): QuickModeResponder;
  /** The ESP SAs a new IKE SA's informational handler must treat as current. */
  currentEsp(): readonly EspSpis[];
  onFailure(error: FerryError): void;
  onEspDeleted(spis: readonly number[]): void;
}

export class IkeGenerations {
  readonly counters: IkeRekeyCounters = {
    ikeRekeys: 0,
    ikeRekeysByServer: 0,
    ikeRekeyFailures: 0,
    ikeSasRetired: 0,
  };
  private readonly list: Generation[] = [];
  private readonly mmResponder: MainModeResponder;
  private rekeying: Promise<void> | null = null;
  private next = 1;
  private stopped = false;

  constructor(
    private readonly o: IkeGenerationsOptions,
    first: { readonly ikeSa: IkeSa; readonly informational: Informational; readonly lifetimeSeconds: number },
  ) {
    this.list.push(this.create(first.ikeSa, first.informational, first.lifetimeSeconds));
    this.mmResponder = new MainModeResponder({
      transport: o.transport,
      auth: first.ikeSa.authenticator,
      proposals: o.ike.proposals,
      localId: first.ikeSa.sa.localId,
      serverAddress: o.ike.serverAddress,
      localAddress: o.ike.localAddress,
      clock: o.clock,
      random: o.random,
      logger: o.logger,
      isOwnSa: (cookie) => this.list.some((g) => equalBytes(g.ikeSa.initiatorCookie, cookie)),
      onEstablished: (sa, replies) => {
        const ikeSa = new IkeSa(
          { ...o.ike, transport: o.transport, clock: o.clock, random: o.random, logger: o.logger },
          { sa, replies },
        );
        this.counters.ikeRekeysByServer++;
        this.takeOver(ikeSa, sa.lifetimeSeconds, 'server');
      },
    });
  }

  /** The IKE SA new exchanges use. */
  get current(): Generation {
    return this.list[0]!;
  }

  get all(): readonly Generation[] {
    return this.list;
  }

  /** Every live IKE SA's informational handler watches `spis`: their deletion ends the session. */
  watch(spis: readonly EspSpis[]): void {
    for (const g of this.list) if (!g.closed) g.informational.watchEsp(spis);
  }

  /** A new Main Mode on the same sockets; the new IKE SA takes over, the old one is deleted after the overlap. */
  rekey(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.rekeying ??= this.doRekey(reason).finally(() => {
      this.rekeying = null;
    });
    return this.rekeying;
  }

  stats(): Record<string, unknown> {
    const now = this.o.clock.now();
    return {
      ikeSas: this.list.map((g) => ({
        generation: g.n,
        role: g.ikeSa.role,
        retired: g.retired,
        lifetimeSeconds: g.ikeSa.established ? g.ikeSa.sa.lifetimeSeconds : null,
        rekeyInMs: g.deadline ? Math.max(0, Math.round(g.deadline.softAt - now)) : null,
        informational: { ...g.informational.counters, rejected: { ...g.informational.counters.rejected } },
        quickModeResponder: { ...g.responder.counters },
      })),
      mainModeResponder: { ...this.mmResponder.counters },
    };
  }

  /** Stops rekeying and DPD; the caller sends its DELETEs, then `close()`. */
  stop(): void {
    this.stopped = true;
    this.mmResponder.close();
    for (const g of this.list) {
      g.deadline?.cancel();
      g.informational.shutdown();
    }
  }

  /** DELETE for every IKE SA not yet closed (RFC 2408 §3.15: the cookie pair as SPI). */
  deleteAll(): void {
    for (const g of this.list) if (!g.closed) g.informational.deleteIkeSa();
  }

  close(): void {
    for (const g of [...this.list]) this.closeGeneration(g);
  }

  private create(ikeSa: IkeSa, informational: Informational | null, lifetimeSeconds: number): Generation {
    const { o } = this;
    const info =
      informational ??
      new Informational({
        ikeSa,
        clock: o.clock,
        random: o.random,
        logger: o.logger,
        ...(o.dpd === undefined ? {} : { dpd: o.dpd }),
      });
    const g: Generation = {
      n: this.next++,
      ikeSa,
      informational: info,
      responder: o.quickModeResponder(ikeSa),
      deadline: null,
      retired: false,
      closed: false,
    };
    g.deadline = new SaDeadline(
      o.clock,
      lifetimeSeconds,
      o.random,
      o.schedule,
      () => void this.rekey('phase-1 lifetime'),
      () => {
        if (!g.retired && !this.stopped)
          o.onFailure(
            establishedError('sa-expired', `the IKE SA reached its ${lifetimeSeconds} s lifetime unreplaced`),
          );
      },
    );
    info.events.on('failure', (e) => {
      if (!g.retired && !this.stopped) o.onFailure(e);
    });
    info.events.on('esp-deleted', (spis) => o.onEspDeleted(spis));
    info.events.on('ike-deleted', () => {
      if (g.retired) this.closeGeneration(g);
    });
    info.watchEsp(o.currentEsp());
    return g;
  }

  private async doRekey(reason: string): Promise<void> {
    const o = this.o;
    const old = this.current;
    o.logger.info('rekeying the IKE SA (new main mode)', { reason });
    // RFC 2407 §4.6.3.3: INITIAL-CONTACT would make the server drop every SA of ours (strongSwan: "destroying
    // duplicate IKE_SA ... received INITIAL_CONTACT"), the ESP SAs included.
    const ikeSa = new IkeSa({
      ...o.ike,
      initialContact: false,
      transport: o.transport,
      clock: o.clock,
      random: o.random,
      logger: o.logger,
    });
    try {
      const r = await ikeSa.establish();
      if (this.stopped) {
        ikeSa.close();
        return;
      }
      this.counters.ikeRekeys++;
      this.takeOver(ikeSa, r.lifetimeSeconds, 'ours');
    } catch (e) {
      ikeSa.close();
      if (this.stopped) return;
      this.counters.ikeRekeyFailures++;
      o.logger.warn('rekeying the IKE SA failed', { reason, error: e });
      if (this.current === old) old.deadline?.retry();
    }
  }

  /** A new IKE SA (ours or the server's) becomes current; the previous one retires and is deleted later. */
  private takeOver(ikeSa: IkeSa, lifetimeSeconds: number, by: 'ours' | 'server'): void {
    if (this.stopped) {
      ikeSa.close();
      return;
    }
    const prev = this.current;
    const g = this.create(ikeSa, null, lifetimeSeconds);
    this.list.unshift(g);
    prev.retired = true;
    prev.deadline?.cancel();
    prev.informational.retire();
    g.informational.start();
    this.counters.ikeSasRetired++;
    this.o.logger.info('new IKE SA took over', {
      by,
      generation: g.n,
      role: ikeSa.role,
      lifetimeSeconds,
      previous: prev.n,
    });
    // The server may still finish exchanges on the old SA; strongSwan deletes it itself after 10 s.
    this.o.clock.setTimeout(() => {
      if (prev.closed || this.stopped) return;
      prev.informational.deleteIkeSa();
      this.closeGeneration(prev);
    }, this.o.overlapMs);
  }

  private closeGeneration(g: Generation): void {
    if (g.closed) return;
    g.closed = true;
    g.deadline?.cancel();
    g.responder.close();
    g.informational.close();
    g.ikeSa.close();
    if (!this.stopped) {
      const i = this.list.indexOf(g);
      if (i > 0) this.list.splice(i, 1);
    }
  }
}
