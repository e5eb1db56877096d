/** ESP (RFC 4303) in UDP encapsulation (RFC 3948): the public surface of core/esp. */
export {
  type DropCounters,
  ESP_DROP_REASONS,
  type EspDropReason,
  InboundSa,
  type InboundSaOptions,
  type InboundStats,
  type Opened,
} from './inbound';
export { InboundSaTable } from './inboundTable';
export {
  type LimitKind,
  MAX_ESP_PACKET,
  MAX_SEQUENCE,
  type OutboundEvents,
  OutboundSa,
  type OutboundSaOptions,
  type OutboundStats,
  type SaLimits,
  SEAL_REFUSALS,
  type Sealed,
  type SealRefusal,
  sealRefusalError,
} from './outbound';
export {
  decodeEspHeader,
  decodeEspTrailer,
  ESP_HEADER_LENGTH,
  type EspHeader,
  NEXT_HEADER_IPV4,
  NEXT_HEADER_NONE,
  NEXT_HEADER_UDP,
  peekSpi,
  spiHex,
} from './packet';
export { DEFAULT_REPLAY_WINDOW, MIN_REPLAY_WINDOW, type ReplayVerdict, ReplayWindow } from './replayWindow';
export { type CryptoProvider, createEspSuite, type EspSuite, nodeSupports, portableSupports } from './suite';
export {
  type AesKeyBits,
  allEspTransforms,
  describeTransform,
  ESP_AUTH_ALGORITHM,
  ESP_TRANSFORM_ID,
  type EspCipher,
  type EspIntegrity,
  type EspKeyLengths,
  type EspKeys,
  type EspTransform,
  type EspTransformError,
  espKeyLengths,
  espTransformFromIke,
  espTransformFromProposal,
  espTransformToIke,
  type IkeEspAttributes,
  splitKeymat,
  type TransformLayout,
  transformLayout,
} from './transforms';
