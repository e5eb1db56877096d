/**
 * IKEv1 Quick Mode initiator (RFC 2409 §5.5) with UDP-encapsulated ESP (RFC 3947 §5):
 *   QM1 HDR*, HASH(1), SA, Ni [, KE], IDci, IDcr [, NAT-OAi, NAT-OAr]  ->
 *                                                <-  QM2 HDR*, HASH(2), SA, Nr [, KE], IDci, IDcr [, NAT-OA...]
 *   QM3 HDR*, HASH(3)                           ->
 * L2TP's selectors (UDP 1701 on both hosts) in transport mode; host-to-host tunnel mode once as a fallback.
 */
import { type Clock, systemClock } from '../../common/clock';
import { FerryError } from '../../common/errors';
import { type Logger, silentLogger } from '../../common/log';
import { type RandomSource, randomU32, systemRandom } from '../../common/random';
import type { InboundSa } from '../../esp/inbound';
import type { OutboundSa } from '../../esp/outbound';
import { spiHex } from '../../esp/packet';
import { describeTransform, type EspTransform } from '../../esp/transforms';
import { ExchangeType } from '../constants';
import { type DhGroupName, generateDhKeyPair } from '../crypto/dh';
import type { IkeSa } from '../ikeSa';
import { encodePayloadChain, type OutgoingPayload } from '../message';
import { encodeIdPayload, type Identification } from '../payloads/identification';
import { natOaIpv4 } from '../payloads/natOa';
import { quickModeError } from '../quick/errors';
import { buildEspPair, type EspOptions } from '../quick/espPair';
import { type EspMode, type Phase2Offer, phase2SaPayload } from '../quick/espProposals';
import { quickModeHash1, quickModeHash3 } from '../quick/keymat';
import { classifyQm2, type Qm2, type Qm2Evidence } from '../quick/qm2';

/** L2TP's well-known port (RFC 2661 §8.1), the traffic selector on both sides in transport mode. */
export const L2TP_PORT = 1701;
const IPPROTO_UDP = 17;
export const DEFAULT_PHASE2_LIFETIME_SECONDS = 3600;

export interface QuickModeOptions {
  /** An established IKE SA (phase 1 done). */
  readonly ikeSa: IkeSa;
  /** ESP transforms to offer, most preferred first. */
  readonly transforms: readonly EspTransform[];
  /** PFS group for g(qm)^xy, or none. */
  readonly pfsGroup?: DhGroupName | null;
  readonly lifetimeSeconds?: number;
  /** Our IPv4 address (IDci, NAT-OAi) and the server's (IDcr, NAT-OAr). */
  readonly localAddress: string;
  readonly serverAddress: string;
  /** First mode to offer (default transport). */
  readonly mode?: EspMode;
  /** Retry once in tunnel mode when transport mode is refused (default true). */
  readonly tunnelFallback?: boolean;
  /** Bound on each attempt (default: the IKE SA's request timeout). */
  readonly timeoutMs?: number;
  /** Our nonce length (default 32; RFC 2409 §5 allows 8..256). */
  readonly nonceLength?: number;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly logger?: Logger;
  /** Passed on to the ESP SAs. */
  readonly esp?: EspOptions;
}

export interface QuickModeTimings {
  /** QM1 first sent -> QM2 accepted, of the attempt that succeeded. */
  readonly qm1ToQm2Ms: number;
  /** KEYMAT and SA construction. */
  readonly keysMs: number;
  readonly totalMs: number;
}

export interface QuickModeResult {
  readonly outbound: OutboundSa;
  readonly inbound: InboundSa;
  readonly transform: EspTransform;
  readonly mode: EspMode;
  readonly encapsulationMode: number;
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number | null;
  readonly pfsGroup: DhGroupName | null;
  readonly messageId: number;
  /** Attempts made: 2 when transport mode was refused and tunnel mode accepted. */
  readonly attempts: number;
  /** NAT-OA addresses the server sent. */
  readonly natOa: readonly string[];
  readonly timings: QuickModeTimings;
  /** Our QM1 retransmissions plus QM3 re-sent for repeated QM2s. */
  readonly retransmissions: number;
}

/** A random SPI outside the reserved 0..255 (RFC 4303 §2.1). */
export function randomSpi(random: RandomSource): number {
  for (;;) {
    const spi = randomU32(random);
    if (spi >= 256) return spi;
  }
}

function identities(mode: EspMode, local: string, server: string): [Identification, Identification] {
  // Transport: the L2TP flow. Tunnel (host-to-host fallback): the two hosts, any protocol.
  const proto = mode === 'transport' ? IPPROTO_UDP : 0;
  const port = mode === 'transport' ? L2TP_PORT : 0;
  return [
    { identity: { type: 'ipv4', address: local }, protocol: proto, port },
    { identity: { type: 'ipv4', address: server }, protocol: proto, port },
  ];
}

const FALLBACK_CODES: ReadonlySet<string> = new Set(['no-proposal-chosen', 'invalid-id']);

/** Runs Quick Mode on an established IKE SA; resolves with both ESP SAs or rejects with a 'quick-mode' FerryError. */
export async function runQuickMode(opts: QuickModeOptions): Promise<QuickModeResult> {
  const clock = opts.clock ?? systemClock;
  const t0 = clock.now();
  const first = opts.mode ?? 'transport';
  try {
    return await attempt(opts, first, 1, t0);
  } catch (e) {
    const fallback = opts.tunnelFallback ?? true;
    if (!(first === 'transport' && fallback && e instanceof FerryError && FALLBACK_CODES.has(e.code)))
      throw e;
    (opts.logger ?? silentLogger).info('quick mode: transport mode refused, retrying in tunnel mode', {
      reason: e.message,
    });
    try {
      return await attempt(opts, 'tunnel', 2, t0);
    } catch (e2) {
      if (e2 instanceof FerryError && e2.code === e.code)
        throw quickModeError(e.code as 'no-proposal-chosen', `${e.message}; tunnel mode too: ${e2.message}`);
      throw e2;
    }
  }
}

async function attempt(
  opts: QuickModeOptions,
  mode: EspMode,
  n: number,
  t0: number,
): Promise<QuickModeResult> {
  const { ikeSa } = opts;
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandom;
  const logger = opts.logger ?? silentLogger;
  const sa = ikeSa.sa;
  const retransmissionsBefore = ikeSa.counters.retransmissions;
  const messageId = ikeSa.newMessageId();
  const spi = randomSpi(random);
  const ni = random(opts.nonceLength ?? 32);
  const pfsGroup = opts.pfsGroup ?? null;
  const dh = pfsGroup ? generateDhKeyPair(pfsGroup, random) : null;
  const offer: Phase2Offer = {
    transforms: opts.transforms,
    mode,
    draft: sa.natt.draftPayloads,
    pfsGroup,
    lifetimeSeconds: opts.lifetimeSeconds ?? DEFAULT_PHASE2_LIFETIME_SECONDS,
    spi,
  };
  const [idci, idcr] = identities(mode, opts.localAddress, opts.serverAddress);
  const rest: OutgoingPayload[] = [phase2SaPayload(offer), { kind: 'nonce', data: ni }];
  if (dh) rest.push({ kind: 'ke', data: dh.publicValue });
  rest.push({ kind: 'id', ...idci }, { kind: 'id', ...idcr });
  // RFC 3947 §5.2: original addresses in transport mode only.
  if (mode === 'transport')
    rest.push(
      natOaIpv4(opts.localAddress, sa.natt.draftPayloads),
      natOaIpv4(opts.serverAddress, sa.natt.draftPayloads),
    );
  const hash1 = quickModeHash1(sa.hash, sa.keys.skeyidA, messageId, encodePayloadChain(rest).bytes);
  const qm1 = ikeSa.encrypt(ExchangeType.QUICK_MODE, messageId, [{ kind: 'hash', data: hash1 }, ...rest]);
  logger.info('quick mode: sending QM1', {
    messageId,
    spi: spiHex(spi),
    mode,
    transforms: opts.transforms.map(describeTransform),
    pfs: pfsGroup ?? 'none',
    lifetimeSeconds: offer.lifetimeSeconds,
  });

  const evidence: Qm2Evidence = { badHash: 0, unusable: null };
  let firstSend = clock.now();
  let qm2: Qm2;
  try {
    qm2 = await ikeSa.request({
      label: 'QM1',
      message: qm1,
      classify: (m, h) =>
        classifyQm2(m, h, {
          sa,
          messageId,
          offer,
          ni,
          ids: [encodeIdPayload(idci), encodeIdPayload(idcr)],
          dh,
          decrypt: (msg, header) => ikeSa.decrypt(msg, header),
          evidence,
          badHashLimit: 2,
        }),
      onTransmit: (count) => {
        if (count === 1) firstSend = clock.now();
      },
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      timeoutError: () =>
        evidence.badHash > 0
          ? quickModeError('auth-failed', `HASH(2) of the server's QM2 did not verify`)
          : evidence.unusable
            ? quickModeError(
                'malformed-reply',
                `the server's reply to QM1 could not be used (${evidence.unusable})`,
              )
            : quickModeError('timeout', `no response from server to QM1 (${mode} mode)`),
    });
  } catch (e) {
    sa.ivs.forget(messageId);
    if (e instanceof FerryError && e.phase === 'ike-phase1')
      throw quickModeError('aborted', 'the IKE SA was closed during quick mode', e);
    throw e;
  }
  const t2 = clock.now();

  // QM3 (RFC 2409 §5.5); a repeated QM2 gets the same QM3 again from the reply cache.
  sa.ivs.advance(messageId, qm2.lastBlock);
  const hash3 = quickModeHash3(sa.hash, sa.keys.skeyidA, messageId, ni, qm2.nr);
  const qm3 = ikeSa.encrypt(ExchangeType.QUICK_MODE, messageId, [{ kind: 'hash', data: hash3 }]);
  ikeSa.send(qm3);
  ikeSa.rememberReply(qm2.bytes, qm3, () => logger.debug('quick mode: QM2 repeated, QM3 sent again'));
  sa.ivs.forget(messageId);

  const tKeys = clock.now();
  const { transform } = qm2.chosen;
  const pair = buildEspPair({
    hash: sa.hash,
    skeyidD: sa.keys.skeyidD,
    transform,
    mode,
    ni,
    nr: qm2.nr,
    gxy: qm2.gxy,
    inboundSpi: spi,
    outboundSpi: qm2.chosen.spi,
    random,
    logger,
    ...(opts.esp ? { esp: opts.esp } : {}),
  });
  if (!pair) throw quickModeError('malformed-reply', 'KEYMAT does not fit the transform');
  const { inbound, outbound } = pair;
  const t3 = clock.now();
  logger.info('quick mode: established', {
    transform: describeTransform(transform),
    mode,
    inboundSpi: spiHex(spi),
    outboundSpi: spiHex(qm2.chosen.spi),
    lifetimeSeconds: qm2.chosen.lifetimeSeconds,
    natOa: [...qm2.natOa],
    idsEchoed: qm2.idsEchoed,
  });
  return {
    outbound,
    inbound,
    transform,
    mode,
    encapsulationMode: qm2.chosen.encapsulationMode,
    lifetimeSeconds: qm2.chosen.lifetimeSeconds,
    lifetimeKilobytes: qm2.chosen.lifetimeKilobytes,
    pfsGroup,
    messageId,
    attempts: n,
    natOa: qm2.natOa,
    timings: { qm1ToQm2Ms: t2 - firstSend, keysMs: t3 - tKeys, totalMs: t3 - t0 },
    retransmissions: ikeSa.counters.retransmissions - retransmissionsBefore,
  };
}
