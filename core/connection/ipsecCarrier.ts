/**
 * The production carrier: IKEv1 Main Mode (PSK or RSA/ECDSA certificates, NAT-T forced) → Quick Mode (ESP,
 * UDP-encapsulated transport mode for UDP 1701) → L2TP datagrams through ESP in UDP 4500 (SPEC §1.1-§1.3).
 * While up it answers and runs DPD, honours the server's DELETEs and rekeys both phases (core/connection/
 * rekey.ts); close() sends our DELETEs and releases the sockets.
 */
import type { Clock } from '../common/clock';
import type { FerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { SaLimits } from '../esp/outbound';
import { spiHex } from '../esp/packet';
import { describeTransform } from '../esp/transforms';
import type { DhGroupName } from '../ike/crypto/dh';
import type { RetransmitPolicy } from '../ike/exchange';
import { PHASE1_GROUPS } from '../ike/proposals';
import { establishedError } from '../ike/quick/errors';
import type { EspMode } from '../ike/quick/espProposals';
import type { DpdPolicy } from '../ike/tasks/dpd';
import type { DatagramSocketFactory } from '../net/udp';
import type { ClientCredentials } from '../pki/credentials';
import type { Profile } from '../profile/schema';
import { isLegacyGroup } from './algorithmPolicy';
import type { CarrierContext, CarrierFactory, L2tpCarrier } from './carrier';
import { bringUp, type Established } from './ipsecBringUp';
import { L2tpOverEsp } from './ipsecDataPath';
import type { IpsecPolicy } from './ipsecProfile';
import { RekeyManager } from './rekey';
import type { RekeySchedulePolicy } from './saLifetime';
import type { NegotiatedAlgorithms } from './state';

export interface IpsecCarrierOptions {
  readonly profile: Profile;
  /** The pre-shared key (from the keychain) for PSK profiles. Registered with the logger's redactor; never logged. */
  readonly psk?: string | Uint8Array;
  /**
   * For certificate profiles: our certificate and key, parsed, or the secret-store bundle
   * (core/pki/credentials.ts). The profile names the certificate by fingerprint and holds the CA.
   */
  readonly clientCredentials?: ClientCredentials | string;
  /** Wall clock for certificate validity (default: Date). */
  readonly now?: () => Date;
  readonly sockets?: DatagramSocketFactory;
  /** Host name → IPv4 address (default: the OS resolver, IPv4 only). */
  readonly resolve?: (host: string) => Promise<string>;
  /** Our source address towards the server (default: what the OS routes through, `localAddressFor`). */
  readonly localAddress?: (server: string) => Promise<string>;
  /** Our own DPD; false turns it off (we still answer the server's). */
  readonly dpd?: Partial<DpdPolicy> | false;
  readonly retransmit?: Partial<RetransmitPolicy>;
  /** Bound on phase 1 (default 30 s). */
  readonly phase1TimeoutMs?: number;
  /** Bound on each Quick Mode attempt (default: the retransmit policy's request timeout, 15 s). */
  readonly quickModeTimeoutMs?: number;
  /** First ESP mode to offer (default transport; tunnel is also tried when transport is refused). */
  readonly espMode?: EspMode;
  readonly keepaliveIntervalMs?: number;
  /** How long close() waits for the DELETEs to leave before closing the sockets (default 100 ms). */
  readonly closeGraceMs?: number;
  /** Socket errors within `socketErrorWindowMs` that make an established carrier fail (default 5 in 10 s). */
  readonly socketErrorLimit?: number;
  readonly socketErrorWindowMs?: number;
  /**
   * Lifetimes proposed and rekeyed by, overriding the profile's (whose minimums are 300 s / 120 s): for tests
   * and for servers that need shorter ones.
   */
  readonly lifetimes?: { readonly phase1Seconds?: number; readonly phase2Seconds?: number };
  /** ESP SA limits, e.g. a small sequence-number soft limit to exercise the rekey it triggers. */
  readonly espLimits?: SaLimits;
  /** Rekey timing: soft fraction, jitter, retry, and the overlap during which an old inbound SA still receives. */
  readonly rekey?: Partial<RekeySchedulePolicy> & { readonly overlapMs?: number };
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export function ipsecCarrier(opts: IpsecCarrierOptions): CarrierFactory {
  return async (ctx) => new IpsecCarrier(opts, ctx, await bringUp(opts, ctx));
}

/**
 * What the carrier reports as negotiated (SPEC §4 diagnostics): NegotiatedAlgorithms plus how phase 1
 * authenticated, the server's certificate, and warnings such as legacy algorithms in use (SPEC §2).
 */
export interface IpsecAlgorithms extends NegotiatedAlgorithms {
  /** "RSA signatures", "ECDSA P-256" with certificates (absent: pre-shared key). */
  readonly auth?: string;
  /** The server certificate's subject when it authenticated with a signature. */
  readonly serverCertificate?: string;
  /** E.g. legacy algorithms in use (SPEC §2); absent when there is nothing to warn about. */
  readonly warnings?: readonly string[];
}

/** The established carrier: the data path, rekeying, failure reporting, stats and teardown. */
class IpsecCarrier implements L2tpCarrier {
  readonly algorithms: IpsecAlgorithms;
  private readonly path: L2tpOverEsp;
  private readonly sas: RekeyManager;
  private failureHandler: ((e: FerryError) => void) | null = null;
  private pendingFailure: FerryError | null = null;
  private failed = false;
  private closing: Promise<void> | null = null;
  private readonly socketErrors: number[] = [];
  private socketErrorTotal = 0;

  private readonly log: Logger;

  constructor(
    private readonly opts: IpsecCarrierOptions,
    private readonly ctx: CarrierContext,
    private readonly up: Established,
  ) {
    this.log = up.log;
    const { sockets, log } = up;
    this.algorithms = up.algorithms;
    const { qm, informational, p1, ike, policy } = up;
    this.path = new L2tpOverEsp({
      sas: { outbound: qm.outbound, inbound: qm.inbound, mode: qm.mode },
      localAddress: ike.localAddress,
      serverAddress: ike.serverAddress,
      sendEsp: (packet) => p1.transport.sendEsp(packet),
      onAuthentic: () => this.sas.alive(),
      onExhausted: (_refusal, spi) => this.sas.exhausted(spi),
      logger: log,
    });
    const { overlapMs, ...schedule } = opts.rekey ?? {};
    this.sas = new RekeyManager(
      {
        transport: p1.transport,
        path: this.path,
        clock: ctx.clock,
        random: ctx.random,
        logger: log,
        ike,
        quick: {
          transforms: policy.esp,
          pfsGroup: policy.pfsGroup,
          pfsGroups: acceptedPfsGroups(policy),
          lifetimeSeconds: policy.phase2LifetimeSeconds,
          localAddress: ike.localAddress,
          serverAddress: ike.serverAddress,
          ...(opts.quickModeTimeoutMs ? { timeoutMs: opts.quickModeTimeoutMs } : {}),
          ...(opts.espLimits ? { esp: { limits: opts.espLimits } } : {}),
        },
        ...(opts.dpd === undefined ? {} : { dpd: opts.dpd }),
        schedule,
        ...(overlapMs === undefined ? {} : { overlapMs }),
        onFailure: (e) => this.fail(e),
      },
      {
        ikeSa: p1.ikeSa,
        informational,
        ikeLifetimeSeconds: p1.result.lifetimeSeconds,
        pair: this.path.sas,
        transform: qm.transform,
        childLifetimeSeconds: qm.lifetimeSeconds,
      },
    );
    p1.transport.onEsp((packet) => this.path.receive(packet));
    sockets.onError((e) => this.socketError(e));
    log.info('ipsec carrier up', {
      ...up.algorithms,
      inboundSpi: spiHex(qm.inbound.spi),
      outboundSpi: spiHex(qm.outbound.spi),
      phase1Ms: Math.round(up.timings.phase1Ms),
      quickModeMs: Math.round(up.timings.quickModeMs),
      phase1LifetimeSeconds: p1.result.lifetimeSeconds,
      phase2LifetimeSeconds: qm.lifetimeSeconds,
    });
  }

  send(datagram: Uint8Array): void {
    if (this.closing) return;
    this.path.send(datagram);
  }

  sendParts(parts: readonly Uint8Array[]): void {
    if (this.closing) return;
    this.path.sendParts(parts);
  }

  onDatagram(handler: (datagram: Uint8Array) => void): void {
    this.path.onDatagram(handler);
  }

  onFailure(handler: (error: FerryError) => void): void {
    this.failureHandler = handler;
    const pending = this.pendingFailure;
    this.pendingFailure = null;
    if (pending) handler(pending);
  }

  /** Rekeys now (diagnostics, tests): phase 2 with a new Quick Mode, phase 1 with a new Main Mode. */
  rekey(what: 'phase1' | 'phase2'): Promise<void> {
    return what === 'phase1' ? this.sas.rekeyIke('requested') : this.sas.rekeyChild('requested');
  }

  stats(): Record<string, unknown> {
    const { p1, qm, timings } = this.up;
    const pair = this.path.sas;
    const cur = this.sas.current;
    return {
      esp: {
        ...this.path.stats(),
        transform: describeTransform(pair.outbound.transform),
        inboundSpi: spiHex(pair.inbound.spi),
        outboundSpi: spiHex(pair.outbound.spi),
        lifetimeSeconds: qm.lifetimeSeconds,
        encapsulationMode: qm.encapsulationMode,
      },
      ike: {
        ...cur.ikeSa.counters,
        ignored: { ...cur.ikeSa.counters.ignored },
        auth: cur.ikeSa.authDescription,
        phase1Retransmissions: p1.result.retransmissions,
        quickModeRetransmissions: qm.retransmissions,
        quickModeAttempts: qm.attempts,
      },
      informational: { ...cur.informational.counters, rejected: { ...cur.informational.counters.rejected } },
      dpd: cur.informational.dpdCounters,
      rekey: this.sas.stats(),
      natt: { ...p1.transport.counters },
      socketErrors: this.socketErrorTotal,
      warnings: this.algorithms.warnings ?? [],
      timings: {
        phase1Ms: timings.phase1Ms,
        quickModeMs: timings.quickModeMs,
        phase1: p1.result.timings,
        quickMode: qm.timings,
      },
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { p1 } = this.up;
    // RFC 2408 §4.8 / RFC 2409 §5.7: tell the server, ESP SAs first, then the IKE SAs. Also after a failure:
    // a server that deleted one SA still gets told about the other (no-op once closed).
    await this.sas.close((ms) => sleep(this.ctx.clock, ms), this.opts.closeGraceMs ?? 100);
    try {
      p1.transport.close();
    } catch (e) {
      this.log.warn('ipsec teardown: closing the sockets failed', { error: e });
    }
    this.log.info('ipsec carrier closed', { inboundSpi: spiHex(this.path.sas.inbound.spi) });
  }

  private fail(error: FerryError): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    this.log.warn('ipsec carrier failed', { error });
    if (this.failureHandler) this.failureHandler(error);
    else this.pendingFailure = error;
  }

  private socketError(e: Error): void {
    this.socketErrorTotal++;
    if (this.failed || this.closing) return;
    const now = this.ctx.clock.now();
    const window = this.opts.socketErrorWindowMs ?? 10_000;
    this.socketErrors.push(now);
    while (this.socketErrors.length && this.socketErrors[0]! < now - window) this.socketErrors.shift();
    if (this.socketErrors.length >= (this.opts.socketErrorLimit ?? 5))
      this.fail(
        establishedError(
          'socket-error',
          `${this.socketErrors.length} UDP socket errors within ${window} ms`,
          e,
        ),
      );
  }
}

/** PFS groups accepted when the server rekeys: the profile's group, or none unless legacy. */
function acceptedPfsGroups(policy: IpsecPolicy): DhGroupName[] {
  if (policy.pfsGroup) return [policy.pfsGroup];
  return PHASE1_GROUPS.filter((g) => policy.legacy || !isLegacyGroup(g));
}
