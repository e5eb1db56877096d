/**
 * Bringing the IPsec carrier up (SPEC §1.1-§1.3): machine authentication from the profile (PSK or certificate +
 * CA + remote ID), server resolution, IKE phase 1, the informational handler, Quick Mode; typed failures that name
 * their phase, with the no-proposal hint fitted to the profile.
 */
import { lookup } from 'node:dns/promises';
import { FerryError, internalError, isFerryError } from '../common/errors';
import type { Logger } from '../common/log';
import { describeTransform } from '../esp/transforms';
import { connectPhase1, type Phase1Connection } from '../ike/connect';
import { phase1Error } from '../ike/errors';
import { parseIpv4 } from '../ike/ipv4';
import { describeProposal } from '../ike/proposals';
import { Informational } from '../ike/tasks/informational';
import { type QuickModeResult, runQuickMode } from '../ike/tasks/quickMode';
import { localAddressFor, nodeUdp } from '../net/udp';
import { explainNoProposal, legacyWarnings } from './algorithmPolicy';
import type { CarrierContext } from './carrier';
import type { IkeOptions } from './ikeGenerations';
import type { IpsecAlgorithms, IpsecCarrierOptions } from './ipsecCarrier';
import { type IpsecPolicy, ipsecPolicy, machineAuth, profileRemoteIdentity } from './ipsecProfile';
import { type WatchedSocketFactory, watchSocketErrors } from './ipsecSockets';

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
    throw serverNotFound(host, e);
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

/** IKE phase 1 and Quick Mode for a profile; everything the established carrier starts from. */
export async function bringUp(opts: IpsecCarrierOptions, ctx: CarrierContext): Promise<Established> {
  const log = ctx.logger.child('ipsec');
  ctx.logger.redactor.addSecret(opts.psk);
  const base = ipsecPolicy(opts.profile);
  const policy: IpsecPolicy = {
    ...base,
    phase1: opts.lifetimes?.phase1Seconds
      ? base.phase1.map((p) => ({ ...p, lifetimeSeconds: opts.lifetimes!.phase1Seconds! }))
      : base.phase1,
    phase2LifetimeSeconds: opts.lifetimes?.phase2Seconds ?? base.phase2LifetimeSeconds,
  };
  const onlyThese = opts.profile.algorithms.onlyTheseProposals;
  const now = opts.now ?? (() => new Date());
  const sockets = watchSocketErrors(opts.sockets ?? nodeUdp);

  ctx.phase('ike-phase1', 'begin');
  const t0 = ctx.clock.now();
  let p1: Phase1Connection;
  let ikeOptions: IkeOptions;
  try {
    if (ctx.signal.aborted) throw cancelled('ike-phase1');
    const auth = machineAuth(
      opts.profile,
      {
        ...(opts.psk === undefined ? {} : { psk: opts.psk }),
        ...(opts.clientCredentials === undefined ? {} : { credentials: opts.clientCredentials }),
      },
      now,
    );
    if (!auth.ok) throw auth.error;
    if (auth.value.method === 'psk') ctx.logger.redactor.addSecret(auth.value.psk);
    const remote = profileRemoteIdentity(opts.profile);
    if (!remote.ok) throw remote.error;
    const server = await resolveServer(opts.profile.server, opts.resolve ?? defaultResolve);
    let localAddress: string;
    try {
      localAddress = await (opts.localAddress ?? ((s) => localAddressFor({ address: s, port: 500 })))(server);
    } catch (e) {
      throw phase1Error('transport', `no route to ${server}`, e);
    }
    if (ctx.signal.aborted) throw cancelled('ike-phase1');
    ikeOptions = {
      serverAddress: server,
      localAddress,
      ...(auth.value.method === 'psk' ? { psk: auth.value.psk } : { certificate: auth.value.certificate }),
      ...(remote.value ? { remoteId: remote.value } : {}),
      proposals: policy.phase1,
      allowLegacy: policy.legacy,
      ...(opts.retransmit ? { retransmit: opts.retransmit } : {}),
      ...(opts.phase1TimeoutMs ? { timeoutMs: opts.phase1TimeoutMs } : {}),
    };
    p1 = await connectPhase1({
      ...ikeOptions,
      sockets,
      clock: ctx.clock,
      random: ctx.random,
      logger: log,
      signal: ctx.signal,
      ...(opts.keepaliveIntervalMs ? { keepaliveIntervalMs: opts.keepaliveIntervalMs } : {}),
    });
  } catch (e) {
    const error = ctx.signal.aborted
      ? cancelled('ike-phase1')
      : explainNoProposal(asFerryError(e, 'ike-phase1'), policy, onlyThese);
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
      localAddress: ikeOptions.localAddress,
      serverAddress: ikeOptions.serverAddress,
      clock: ctx.clock,
      random: ctx.random,
      logger: log,
      ...(opts.espMode ? { mode: opts.espMode } : {}),
      ...(opts.quickModeTimeoutMs ? { timeoutMs: opts.quickModeTimeoutMs } : {}),
      ...(opts.espLimits ? { esp: { limits: opts.espLimits } } : {}),
    });
    if (ctx.signal.aborted) throw cancelled('quick-mode');
  } catch (e) {
    dispose();
    const error = ctx.signal.aborted
      ? cancelled('quick-mode')
      : explainNoProposal(asFerryError(e, 'quick-mode'), policy, onlyThese);
    ctx.phase('quick-mode', 'failed', error.code);
    throw error;
  } finally {
    ctx.signal.removeEventListener('abort', dispose);
  }
  const quickModeMs = ctx.clock.now() - t1;
  const esp = `${describeTransform(qm.transform)}${qm.pfsGroup ? `-${qm.pfsGroup}` : ''}`;
  ctx.phase('quick-mode', 'ok', qm.mode === 'transport' ? esp : `${esp} (tunnel mode)`);
  const warnings = legacyWarnings(result.proposal, qm.transform, qm.pfsGroup);
  for (const w of warnings) log.warn('legacy algorithm in use', { warning: w });
  const peer = ikeSa.peerCertificate;

  return {
    log,
    sockets,
    p1,
    qm,
    informational,
    ike: ikeOptions,
    policy,
    timings: { phase1Ms, quickModeMs },
    algorithms: {
      ike: describeProposal(result.proposal),
      esp: qm.mode === 'transport' ? esp : `${esp} (tunnel mode)`,
      natT: `${result.natt.variant} (forced)`,
      legacy: warnings.length > 0,
      // PSK profiles keep the plain shape; certificates say how and with whom, warnings appear when there are any.
      ...(peer ? { auth: ikeSa.authDescription, serverCertificate: peer.certificate.toString() } : {}),
      ...(warnings.length ? { warnings } : {}),
    },
  };
}

function asFerryError(e: unknown, phase: 'ike-phase1' | 'quick-mode'): FerryError {
  return isFerryError(e) ? e : internalError(phase, e);
}

export interface Established {
  readonly log: Logger;
  readonly sockets: WatchedSocketFactory;
  readonly p1: Phase1Connection;
  readonly qm: QuickModeResult;
  readonly informational: Informational;
  readonly ike: IkeOptions;
  readonly policy: IpsecPolicy;
  readonly timings: { readonly phase1Ms: number; readonly quickModeMs: number };
  readonly algorithms: IpsecAlgorithms;
}

/** The server's name did not resolve (reported in phase 1, where the first packet would have gone). */
export function serverNotFound(host: string, e: unknown): FerryError {
  return new FerryError({
    phase: 'ike-phase1',
    code: 'server-not-found',
    message: `cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`,
    hint: 'check the server name and your DNS / network connection',
    cause: e,
  });
}
