/**
 * The two ESP SAs a Quick Mode produces, whoever initiated it (RFC 2409 §5.5): KEYMAT for each direction is
 * keyed by the SPI its receiver chose, from SKEYID_d, [g(qm)^xy], Ni_b and Nr_b of the *initiator* and
 * *responder* of that Quick Mode.
 */
import type { Logger } from '../../common/log';
import type { RandomSource } from '../../common/random';
import { InboundSa } from '../../esp/inbound';
import { OutboundSa, type SaLimits } from '../../esp/outbound';
import { NEXT_HEADER_IPV4, NEXT_HEADER_UDP } from '../../esp/packet';
import type { CryptoProvider } from '../../esp/suite';
import { type EspTransform, espKeyLengths, splitKeymat } from '../../esp/transforms';
import { ProtocolId } from '../constants';
import type { HashAlgorithm } from '../crypto/hash';
import type { EspMode } from './espProposals';
import { deriveKeymat } from './keymat';

export interface EspOptions {
  readonly provider?: CryptoProvider;
  readonly replayWindow?: number;
  readonly limits?: SaLimits;
}

export interface EspPairInput {
  readonly hash: HashAlgorithm;
  readonly skeyidD: Uint8Array;
  readonly transform: EspTransform;
  readonly mode: EspMode;
  /** The nonces of the Quick Mode's initiator and responder (not ours and theirs). */
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  readonly gxy: Uint8Array | null;
  /** Our SPI (the server sends with it) and the server's (we send with it). */
  readonly inboundSpi: number;
  readonly outboundSpi: number;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly esp?: EspOptions;
}

/** Builds both SAs; null when the KEYMAT does not fit the transform (a bug, reported by the caller). */
export function buildEspPair(i: EspPairInput): { inbound: InboundSa; outbound: OutboundSa } | null {
  const length = espKeyLengths(i.transform).total;
  const keymat = (spi: number) =>
    deriveKeymat(
      i.hash,
      i.skeyidD,
      { protocol: ProtocolId.ESP, spi, ni: i.ni, nr: i.nr, gxy: i.gxy },
      length,
    );
  const inKeys = splitKeymat(i.transform, keymat(i.inboundSpi));
  const outKeys = splitKeymat(i.transform, keymat(i.outboundSpi));
  if (!inKeys.ok || !outKeys.ok) return null;
  const esp = i.esp ?? {};
  const inbound = new InboundSa({
    spi: i.inboundSpi,
    transform: i.transform,
    keys: inKeys.value,
    acceptNextHeaders: [i.mode === 'transport' ? NEXT_HEADER_UDP : NEXT_HEADER_IPV4],
    logger: i.logger,
    ...(esp.provider ? { provider: esp.provider } : {}),
    ...(esp.replayWindow ? { replayWindow: esp.replayWindow } : {}),
  });
  const outbound = new OutboundSa({
    spi: i.outboundSpi,
    transform: i.transform,
    keys: outKeys.value,
    random: i.random,
    logger: i.logger,
    ...(esp.provider ? { provider: esp.provider } : {}),
    ...(esp.limits ? { limits: esp.limits } : {}),
  });
  return { inbound, outbound };
}
