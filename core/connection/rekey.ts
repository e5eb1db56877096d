/**
 * The carrier's SAs over time (SPEC §1.7, §2): phase 2 is rekeyed before it expires (90 % of its lifetime with
 * jitter, or when the outbound sequence number nears 2^32) by a new Quick Mode; phase 1 by a new Main Mode
 * (ikeGenerations.ts). The server may rekey first: its Quick Mode is answered (QuickModeResponder). New ESP SAs
 * are make-before-break: the new pair sends at once, the old inbound SA keeps receiving for an overlap, then it
 * is deleted; the L2TP session above never notices.
 */
import type { Clock, TimerHandle } from '../common/clock';
import type { FerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import { spiHex } from '../esp/packet';
import { describeTransform, type EspTransform } from '../esp/transforms';
import type { DhGroupName } from '../ike/crypto/dh';
import type { IkeSa } from '../ike/ikeSa';
import type { NattTransport } from '../ike/nattTransport';
import { establishedError } from '../ike/quick/errors';
import type { EspOptions } from '../ike/quick/espPair';
import type { DpdPolicy } from '../ike/tasks/dpd';
import type { Informational } from '../ike/tasks/informational';
import { runQuickMode } from '../ike/tasks/quickMode';
import { QuickModeResponder, type RespondedChild } from '../ike/tasks/quickModeResponder';
import { type Generation, IkeGenerations, type IkeOptions, type IkeRekeyCounters } from './ikeGenerations';
import type { EspSaPair, L2tpOverEsp } from './ipsecDataPath';
import { DEFAULT_REKEY_SCHEDULE, type RekeySchedulePolicy, SaDeadline } from './saLifetime';

export interface RekeyManagerOptions {
  readonly transport: NattTransport;
  readonly path: L2tpOverEsp;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly ike: IkeOptions;
  readonly quick: {
    readonly transforms: readonly EspTransform[];
    readonly pfsGroup: DhGroupName | null;
    /** Groups accepted when the server rekeys with PFS. */
    readonly pfsGroups: readonly DhGroupName[];
    readonly lifetimeSeconds: number;
    readonly localAddress: string;
    readonly serverAddress: string;
    readonly timeoutMs?: number;
    readonly esp?: EspOptions;
  };
  readonly dpd?: Partial<DpdPolicy> | false;
  readonly schedule?: Partial<RekeySchedulePolicy>;
  /** How long an old inbound SA keeps receiving after its successor is installed (default 10 s). */
  readonly overlapMs?: number;
  /** The carrier is dead: the current SA expired unreplaced, the server deleted it, DPD gave up. */
  onFailure(error: FerryError): void;
}

export interface RekeyCounters extends IkeRekeyCounters {
  childRekeys: number;
  childRekeysByServer: number;
  childRekeyFailures: number;
  /** Old inbound SAs removed (after the overlap, or when the server deleted them). */
  childrenRetired: number;
}

interface Child {
  readonly pair: EspSaPair;
  readonly transform: EspTransform;
  readonly lifetimeSeconds: number;
  readonly installedAt: number;
  deadline: SaDeadline | null;
  retireTimer: TimerHandle | null;
  /** The outbound SA refused to send (hard sequence or byte limit): only a successor can carry traffic. */
  exhausted: boolean;
}

export interface FirstSas {
  readonly ikeSa: IkeSa;
  readonly informational: Informational;
  readonly ikeLifetimeSeconds: number;
  readonly pair: EspSaPair;
  readonly transform: EspTransform;
  readonly childLifetimeSeconds: number;
}

export class RekeyManager {
  private readonly childCounters = {
    childRekeys: 0,
    childRekeysByServer: 0,
    childRekeyFailures: 0,
    childrenRetired: 0,
  };
  private readonly schedule: RekeySchedulePolicy;
  private readonly ikes: IkeGenerations;
  private readonly retiring: Child[] = [];
  private child: Child;
  private childRekey: Promise<void> | null = null;
  private stopped = false;
  /** Transport mode, or the tunnel-mode fallback: rekeys keep it. */
  private readonly mode: EspSaPair['mode'];

  constructor(
    private readonly o: RekeyManagerOptions,
    first: FirstSas,
  ) {
    this.schedule = { ...DEFAULT_REKEY_SCHEDULE, ...o.schedule };
    this.mode = first.pair.mode;
    this.child = this.track(first.pair, first.transform, first.childLifetimeSeconds);
    this.ikes = new IkeGenerations(
      {
        transport: o.transport,
        clock: o.clock,
        random: o.random,
        logger: o.logger,
        ike: o.ike,
        ...(o.dpd === undefined ? {} : { dpd: o.dpd }),
        schedule: this.schedule,
        overlapMs: o.overlapMs ?? 10_000,
        quickModeResponder: (ikeSa) => this.quickModeResponder(ikeSa),
        currentEsp: () => [{ inbound: this.child.pair.inbound.spi, outbound: this.child.pair.outbound.spi }],
        onFailure: (e) => this.fail(e),
        onEspDeleted: (spis) => this.serverDeleted(spis),
      },
      { ikeSa: first.ikeSa, informational: first.informational, lifetimeSeconds: first.ikeLifetimeSeconds },
    );
    this.current.informational.start();
  }

  get counters(): RekeyCounters {
    return { ...this.childCounters, ...this.ikes.counters };
  }

  /** The IKE SA new exchanges use. */
  get current(): Generation {
    return this.ikes.current;
  }

  /** Proof of life for DPD (an authentic ESP packet). */
  alive(): void {
    this.current.informational.alive();
  }

  /** The outbound SA hit a hard limit (sequence numbers): rekey now; fail only if that does not work. */
  exhausted(spi: number): void {
    if (spi !== this.child.pair.outbound.spi || this.child.exhausted) return;
    this.child.exhausted = true;
    void this.rekeyChild('sequence numbers exhausted');
  }

  /** A new Quick Mode on the current IKE SA; the new pair replaces the current one (make-before-break). */
  rekeyChild(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.childRekey ??= this.doRekeyChild(reason).finally(() => {
      this.childRekey = null;
    });
    return this.childRekey;
  }

  /** A new Main Mode on the same sockets (ikeGenerations.ts). */
  rekeyIke(reason: string): Promise<void> {
    return this.ikes.rekey(reason);
  }

  stats(): Record<string, unknown> {
    const c = this.child;
    const now = this.o.clock.now();
    return {
      ...this.counters,
      child: {
        inboundSpi: spiHex(c.pair.inbound.spi),
        outboundSpi: spiHex(c.pair.outbound.spi),
        transform: describeTransform(c.transform),
        lifetimeSeconds: c.lifetimeSeconds,
        ageMs: Math.round(now - c.installedAt),
        rekeyInMs: c.deadline ? Math.max(0, Math.round(c.deadline.softAt - now)) : null,
      },
      retiringChildren: this.retiring.map((r) => spiHex(r.pair.inbound.spi)),
      ...this.ikes.stats(),
    };
  }

  /** DELETEs for our ESP SAs and every IKE SA (RFC 2409 §5.7), then everything is closed. */
  async close(grace: (ms: number) => Promise<void>, graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.child.deadline?.cancel();
    const cur = this.current;
    this.ikes.stop();
    try {
      for (const c of [this.child, ...this.retiring]) {
        if (c.retireTimer) this.o.clock.clearTimeout(c.retireTimer);
        cur.informational.deleteEsp({ inbound: c.pair.inbound.spi, outbound: c.pair.outbound.spi });
      }
      this.ikes.deleteAll();
      await grace(graceMs);
    } catch (e) {
      this.o.logger.warn('ipsec teardown: sending DELETE failed', { error: e });
    }
    this.ikes.close();
  }

  private quickModeResponder(ikeSa: IkeSa): QuickModeResponder {
    const { o } = this;
    return new QuickModeResponder({
      ikeSa,
      transforms: o.quick.transforms,
      pfsGroups: o.quick.pfsGroups,
      requirePfs: o.quick.pfsGroup !== null,
      mode: this.mode,
      lifetimeSeconds: o.quick.lifetimeSeconds,
      localAddress: o.quick.localAddress,
      serverAddress: o.quick.serverAddress,
      clock: o.clock,
      random: o.random,
      logger: o.logger,
      ...(o.quick.esp ? { esp: o.quick.esp } : {}),
      onEstablished: (c) => this.serverRekeyedChild(c),
    });
  }

  private track(pair: EspSaPair, transform: EspTransform, lifetimeSeconds: number): Child {
    const c: Child = {
      pair,
      transform,
      lifetimeSeconds,
      installedAt: this.o.clock.now(),
      deadline: null,
      retireTimer: null,
      exhausted: false,
    };
    c.deadline = new SaDeadline(
      this.o.clock,
      lifetimeSeconds,
      this.o.random,
      this.schedule,
      () => void this.rekeyChild('phase-2 lifetime'),
      () => {
        if (this.child === c)
          this.fail(
            establishedError('sa-expired', `the ESP SA reached its ${lifetimeSeconds} s lifetime unreplaced`),
          );
      },
    );
    // RFC 4303 §3.3.3: the sequence number must not cycle; OutboundSa signals 90 % of 2^32 - 1.
    pair.outbound.events.on('rekey-needed', (why) => {
      if (this.child === c) void this.rekeyChild(`${why} limit`);
    });
    return c;
  }

  private async doRekeyChild(reason: string): Promise<void> {
    const g = this.current;
    const old = this.child;
    const t0 = this.o.clock.now();
    this.o.logger.info('rekeying the ESP SA', { reason, inboundSpi: spiHex(old.pair.inbound.spi) });
    try {
      const q = this.o.quick;
      const qm = await runQuickMode({
        ikeSa: g.ikeSa,
        transforms: q.transforms,
        pfsGroup: q.pfsGroup,
        lifetimeSeconds: q.lifetimeSeconds,
        localAddress: q.localAddress,
        serverAddress: q.serverAddress,
        mode: old.pair.mode,
        tunnelFallback: false,
        clock: this.o.clock,
        random: this.o.random,
        logger: this.o.logger,
        ...(q.timeoutMs ? { timeoutMs: q.timeoutMs } : {}),
        ...(q.esp ? { esp: q.esp } : {}),
      });
      if (this.stopped) return;
      this.childCounters.childRekeys++;
      this.install(
        { outbound: qm.outbound, inbound: qm.inbound, mode: qm.mode },
        qm.transform,
        qm.lifetimeSeconds,
      );
      this.o.logger.info('ESP SA rekeyed', { reason, ms: Math.round(this.o.clock.now() - t0) });
    } catch (e) {
      if (this.stopped) return;
      this.childCounters.childRekeyFailures++;
      this.o.logger.warn('rekeying the ESP SA failed', { reason, error: e });
      if (old.exhausted && this.child === old)
        this.fail(
          establishedError(
            'sa-expired',
            'the ESP SA ran out of sequence numbers and could not be rekeyed',
            e,
          ),
        );
      else if (this.child === old) old.deadline?.retry();
    }
  }

  private serverRekeyedChild(c: RespondedChild): void {
    if (this.stopped) return;
    this.childCounters.childRekeysByServer++;
    this.install({ outbound: c.outbound, inbound: c.inbound, mode: c.mode }, c.transform, c.lifetimeSeconds);
  }

  /** Make-before-break (RFC 2409 §5.5 again): send on the new pair now, receive on both until the overlap ends. */
  private install(pair: EspSaPair, transform: EspTransform, lifetimeSeconds: number): void {
    const prev = this.child;
    this.o.path.install(pair);
    this.child = this.track(pair, transform, lifetimeSeconds);
    prev.deadline?.cancel();
    prev.retireTimer = this.o.clock.setTimeout(
      () => this.retireChild(prev, true),
      this.o.overlapMs ?? 10_000,
    );
    this.retiring.push(prev);
    this.ikes.watch([{ inbound: pair.inbound.spi, outbound: pair.outbound.spi }]);
    this.o.logger.info('new ESP SA pair installed', {
      inboundSpi: spiHex(pair.inbound.spi),
      outboundSpi: spiHex(pair.outbound.spi),
      transform: describeTransform(transform),
      lifetimeSeconds,
      previousInboundSpi: spiHex(prev.pair.inbound.spi),
    });
  }

  private retireChild(c: Child, sendDelete: boolean): void {
    const i = this.retiring.indexOf(c);
    if (i < 0) return;
    this.retiring.splice(i, 1);
    if (c.retireTimer) this.o.clock.clearTimeout(c.retireTimer);
    c.retireTimer = null;
    this.o.path.retire(c.pair.inbound.spi);
    this.childCounters.childrenRetired++;
    if (sendDelete && !this.stopped)
      this.current.informational.deleteEsp({ inbound: c.pair.inbound.spi, outbound: c.pair.outbound.spi });
  }

  private serverDeleted(spis: readonly number[]): void {
    for (const c of [...this.retiring])
      if (spis.includes(c.pair.inbound.spi >>> 0) || spis.includes(c.pair.outbound.spi >>> 0))
        this.retireChild(c, false);
  }

  private fail(e: FerryError): void {
    if (this.stopped) return;
    this.o.onFailure(e);
  }
}
