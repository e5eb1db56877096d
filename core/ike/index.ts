/** Public surface of the IKEv1 stack for the orchestrator and the exchanges built on phase 1. */
export { connectPhase1, type Phase1Connection, type Phase1ConnectOptions } from './connect';
export * from './constants';
export type { Phase1ErrorCode } from './errors';
export {
  DEFAULT_RETRANSMIT,
  type IgnoreReason,
  type RequestSpec,
  type RetransmitPolicy,
  type Verdict,
} from './exchange';
export { type ExchangeHandler, IkeSa, type IkeSaCounters, type IkeSaOptions } from './ikeSa';
export {
  type ChainEntry,
  decodeHeader,
  decodePayloadChain,
  decodePlainMessage,
  encodeMessage,
  encodePayloadChain,
  type IsakmpHeader,
  type OutgoingPayload,
  payloadsOfKind,
} from './message';
export {
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  type IkeTransport,
  type NattCounters,
  NattTransport,
} from './nattTransport';
export type { Identification, Identity } from './payloads/identification';
export type { Payload } from './payloads/index';
export type { NattState, Phase1Result, Phase1Sa, Phase1Timings } from './phase1';
export {
  DEFAULT_PHASE1_PROPOSALS,
  defaultPhase1Proposals,
  PHASE1_ENCRYPTIONS,
  PHASE1_GROUPS,
  PHASE1_HASHES,
  type Phase1Encryption,
  type Phase1Group,
  type Phase1Hash,
  type Phase1Proposal,
  validatePhase1Proposals,
} from './proposals';
export { establishedError, type QuickModeErrorCode, quickModeError } from './quick/errors';
export type { EspMode } from './quick/espProposals';
export { DEFAULT_DPD, type DpdPolicy } from './tasks/dpd';
export { type EspSpis, Informational, type InformationalCounters } from './tasks/informational';
export {
  L2TP_PORT,
  type QuickModeOptions,
  type QuickModeResult,
  randomSpi,
  runQuickMode,
} from './tasks/quickMode';
export { isDraftVariant, NATT_VARIANTS, type NattVariant } from './vendorIds';
