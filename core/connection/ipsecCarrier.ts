/**
 * The production carrier: IKEv1 Main Mode (PSK, NAT-T forced) → Quick Mode (ESP, UDP-encapsulated transport
 * mode for UDP 1701) → L2TP datagrams through ESP in UDP 4500 (SPEC §1.1-§1.3). While up it answers and runs
 * DPD and honours the server's DELETEs; close() sends our DELETEs and releases the sockets.
 */
import { lookup } from 'node:dns/promises';
import type { Clock } from '../common/clock';
import { FerryError, isFerryError } from '../common/errors';
import type { Logger } from '../common/log';
import type { SealRefusal } from '../esp/outbound';
import { spiHex } from '../esp/packet';
import { describeTransform } from '../esp/transforms';
import { connectPhase1, type Phase1Connection } from '../ike/connect';
import { phase1Error } from '../ike/errors';
import type { RetransmitPolicy } from '../ike/exchange';
import { parseIpv4 } from '../ike/ipv4';
import { describeProposal } from '../ike/proposals';
import { establishedError } from '../ike/quick/errors';
import type { EspMode } from '../ike/quick/espProposals';
import type { DpdPolicy } from '../ike/tasks/dpd';
import { Informational } from '../ike/tasks/informational';
import { type QuickModeResult, runQuickMode } from '../ike/tasks/quickMode';
import { type DatagramSocketFactory, localAddressFor, nodeUdp } from '../net/udp';
import type { Profile } from '../profile/schema';
import type { CarrierContext, CarrierFactory, L2tpCarrier } from './carrier';
import { L2tpOverEsp } from './ipsecDataPath';
import { ipsecPolicy } from './ipsecProfile';
import { watchSocketErrors } from './ipsecSockets';
import type { NegotiatedAlgorithms } from './state';

export interface IpsecCarrierOptions {
  readonly profile: Profile;
  /** The pre-shared key (from the keychain). Registered with the logger's redactor; never logged. */
  readonly psk: string | Uint8Array;
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
}

const utf8 = new TextEncoder();

async function defaultResolve(host: string): Promise<string> {
  const r = await lookup(host, { family: 4 });
  return r.address;
}

/** Resolves the profile's server: an IPv4 literal as is, a name through `resolve`. */
async function resolveServer(host: string, resolve: (h: string) => Promise<string>): Promise<string> {
  if (parseIpv4(host)) return host;
  let address: string;
  try {
    address = await resolve(host);
  } catch (e) {
    throw new FerryError({
      phase: 'ike-phase1',
      code: 'server-not-found',
      message: `cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`,
      hint: 'check the server name and your DNS / network connection',
      cause: e,
    });
  }
  if (!parseIpv4(address))
    throw new FerryError({
      phase: 'ike-phase1',
      code: 'server-not-found',
      message: `${host} resolved to ${address}, which is not an IPv4 address`,
      hint: 'Ferry needs an IPv4 address for the server',
    });
  return address;
}

function cancelled(phase: 'ike-phase1' | 'quick-mode'): FerryError {
  return new FerryError({
    phase,
    code: 'cancelled',
    message: 'connect cancelled',
    hint: 'the connection was cancelled by the user',
  });
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export function ipsecCarrier(opts: IpsecCarrierOptions): CarrierFactory {
  return (ctx) => bringUp(opts, ctx);
}

async function bringUp(opts: IpsecCarrierOptions, ctx: CarrierContext): Promise<L2tpCarrier> {
  const log = ctx.logger.child('ipsec');
  const psk = typeof opts.psk === 'string' ? utf8.encode(opts.psk) : opts.psk;
  ctx.logger.redactor.addSecret(opts.psk);
  ctx.logger.redactor.addSecret(psk);
  const policy = ipsecPolicy(opts.profile);
  const sockets = watchSocketErrors(opts.sockets ?? nodeUdp);

  ctx.phase('ike-phase1', 'begin');
  const t0 = ctx.clock.now();
  let p1: Phase1Connection;
  let localAddress: string;
  let server: string;
  try {
    if (ctx.signal.aborted) throw cancelled('ike-phase1');
    server = await resolveServer(opts.profile.server, opts.resolve ?? defaultResolve);
    try {
      localAddress = await (opts.localAddress ?? ((s) => localAddressFor({ address: s, port: 500 })))(server);
    } catch (e) {
      throw phase1Error('transport', `no route to ${server}`, e);
    }
    if (ctx.signal.aborted) throw cancelled('ike-phase1');
    p1 = await connectPhase1({
      sockets,
      serverAddress: server,
      localAddress,
      psk,
      proposals: policy.phase1,
      allowLegacy: policy.legacy,
      clock: ctx.clock,
      random: ctx.random,
      logger: log,
      signal: ctx.signal,
      ...(opts.retransmit ? { retransmit: opts.retransmit } : {}),
      ...(opts.phase1TimeoutMs ? { timeoutMs: opts.phase1TimeoutMs } : {}),
      ...(opts.keepaliveIntervalMs ? { keepaliveIntervalMs: opts.keepaliveIntervalMs } : {}),
    });
  } catch (e) {
    const error = ctx.signal.aborted ? cancelled('ike-phase1') : asFerryError(e, 'ike-phase1');
    ctx.phase('ike-phase1', 'failed', error.code);
    throw error;
  }
  const phase1Ms = ctx.clock.now() - t0;
  const { ikeSa, transport, result } = p1;
  ctx.phase('ike-phase1', 'ok', describeProposal(result.proposal));

  ctx.phase('quick-mode', 'begin');
  const t1 = ctx.clock.now();
  // Created before Quick Mode so the server's DPD requests are answered from the start.
  const informational = new Informational({
    ikeSa,
    clock: ctx.clock,
    random: ctx.random,
    logger: log,
    ...(opts.dpd === undefined ? {} : { dpd: opts.dpd }),
  });
  const dispose = () => {
    informational.close();
    ikeSa.close();
    transport.close();
  };
  ctx.signal.addEventListener('abort', dispose, { once: true });
  let qm: QuickModeResult;
  try {
    if (ctx.signal.aborted) throw cancelled('quick-mode');
    qm = await runQuickMode({
      ikeSa,
      transforms: policy.esp,
      pfsGroup: policy.pfsGroup,
      lifetimeSeconds: policy.phase2LifetimeSeconds,
      localAddress,
      serverAddress: server,
      clock: ctx.clock,
      random: ctx.random,
      logger: log,
      ...(opts.espMode ? { mode: opts.espMode } : {}),
      ...(opts.quickModeTimeoutMs ? { timeoutMs: opts.quickModeTimeoutMs } : {}),
    });
    if (ctx.signal.aborted) throw cancelled('quick-mode');
  } catch (e) {
    dispose();
    const error = ctx.signal.aborted ? cancelled('quick-mode') : asFerryError(e, 'quick-mode');
    ctx.phase('quick-mode', 'failed', error.code);
    throw error;
  } finally {
    ctx.signal.removeEventListener('abort', dispose);
  }
  const quickModeMs = ctx.clock.now() - t1;
  const esp = `${describeTransform(qm.transform)}${qm.pfsGroup ? `-${qm.pfsGroup}` : ''}`;
  ctx.phase('quick-mode', 'ok', qm.mode === 'transport' ? esp : `${esp} (tunnel mode)`);

  return new IpsecCarrier(opts, ctx, log, sockets, {
    p1,
    qm,
    informational,
    localAddress,
    server,
    timings: { phase1Ms, quickModeMs },
    algorithms: {
      ike: describeProposal(result.proposal),
      esp: qm.mode === 'transport' ? esp : `${esp} (tunnel mode)`,
      natT: `${result.natt.variant} (forced)`,
      legacy: policy.legacy,
    },
  });
}

function asFerryError(e: unknown, phase: 'ike-phase1' | 'quick-mode'): FerryError {
  if (isFerryError(e)) return e;
  return new FerryError({
    phase,
    code: 'internal',
    message: `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
    hint: 'this is a bug in Ferry — export diagnostics and report it',
    cause: e,
  });
}

interface Established {
  readonly p1: Phase1Connection;
  readonly qm: QuickModeResult;
  readonly informational: Informational;
  readonly localAddress: string;
  readonly server: string;
  readonly timings: { readonly phase1Ms: number; readonly quickModeMs: number };
  readonly algorithms: NegotiatedAlgorithms;
}

/** The established carrier: the data path, failure reporting, stats and teardown. */
class IpsecCarrier implements L2tpCarrier {
  readonly algorithms: NegotiatedAlgorithms;
  private readonly path: L2tpOverEsp;
  private failureHandler: ((e: FerryError) => void) | null = null;
  private pendingFailure: FerryError | null = null;
  private failed = false;
  private closing: Promise<void> | null = null;
  private readonly socketErrors: number[] = [];
  private socketErrorTotal = 0;

  constructor(
    private readonly opts: IpsecCarrierOptions,
    private readonly ctx: CarrierContext,
    private readonly log: Logger,
    sockets: ReturnType<typeof watchSocketErrors>,
    private readonly up: Established,
  ) {
    this.algorithms = up.algorithms;
    const { qm, informational, p1 } = up;
    this.path = new L2tpOverEsp({
      sas: { outbound: qm.outbound, inbound: qm.inbound, mode: qm.mode },
      localAddress: up.localAddress,
      serverAddress: up.server,
      sendEsp: (packet) => p1.transport.sendEsp(packet),
      onAuthentic: () => informational.alive(),
      onExhausted: (refusal, spi) => this.exhausted(refusal, spi),
      logger: log,
    });
    p1.transport.onEsp((packet) => this.path.receive(packet));
    informational.watchEsp([{ inbound: qm.inbound.spi, outbound: qm.outbound.spi }]);
    informational.events.on('failure', (e) => this.fail(e));
    informational.start();
    sockets.onError((e) => this.socketError(e));
    log.info('ipsec carrier up', {
      ...up.algorithms,
      inboundSpi: spiHex(qm.inbound.spi),
      outboundSpi: spiHex(qm.outbound.spi),
      phase1Ms: Math.round(up.timings.phase1Ms),
      quickModeMs: Math.round(up.timings.quickModeMs),
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

  stats(): Record<string, unknown> {
    const { p1, qm, informational, timings } = this.up;
    return {
      esp: {
        ...this.path.stats(),
        transform: describeTransform(qm.transform),
        inboundSpi: spiHex(this.path.sas.inbound.spi),
        outboundSpi: spiHex(this.path.sas.outbound.spi),
        lifetimeSeconds: qm.lifetimeSeconds,
        encapsulationMode: qm.encapsulationMode,
      },
      ike: {
        ...p1.ikeSa.counters,
        ignored: { ...p1.ikeSa.counters.ignored },
        phase1Retransmissions: p1.result.retransmissions,
        quickModeRetransmissions: qm.retransmissions,
        quickModeAttempts: qm.attempts,
      },
      informational: { ...informational.counters, rejected: { ...informational.counters.rejected } },
      dpd: informational.dpdCounters,
      natt: { ...p1.transport.counters },
      socketErrors: this.socketErrorTotal,
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
    const { p1, qm, informational } = this.up;
    informational.shutdown();
    try {
      // RFC 2408 §4.8 / RFC 2409 §5.7: tell the server, ESP SA first, then the IKE SA.
      // Also after a failure: a server that deleted one SA still gets told about the other (no-op once closed).
      informational.deleteEsp({ inbound: this.path.sas.inbound.spi, outbound: this.path.sas.outbound.spi });
      informational.deleteIkeSa();
      await sleep(this.ctx.clock, this.opts.closeGraceMs ?? 100);
    } catch (e) {
      this.log.warn('ipsec teardown: sending DELETE failed', { error: e });
    }
    for (const [what, step] of [
      ['informational', () => informational.close()],
      ['ike sa', () => p1.ikeSa.close()],
      ['sockets', () => p1.transport.close()],
    ] as const) {
      try {
        step();
      } catch (e) {
        this.log.warn(`ipsec teardown: closing the ${what} failed`, { error: e });
      }
    }
    this.log.info('ipsec carrier closed', { inboundSpi: spiHex(qm.inbound.spi) });
  }

  private fail(error: FerryError): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    this.log.warn('ipsec carrier failed', { error });
    if (this.failureHandler) this.failureHandler(error);
    else this.pendingFailure = error;
  }

  private exhausted(refusal: SealRefusal, spi: number): void {
    this.fail(establishedError('sa-expired', `ESP SA ${spiHex(spi)} refused to send: ${refusal}`));
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
