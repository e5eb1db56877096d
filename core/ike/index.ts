/** Public surface of the IKEv1 stack for the orchestrator and the exchanges built on phase 1. */
export {
  authenticatorFor,
  type Phase1Authenticator,
  pskAuthenticator,
  type SignatureAuthOptions,
  signatureAuthenticator,
} from './auth/authenticator';
export { type PeerTrust, type VerifiedPeer, verifyPeerSignature } from './auth/peerCertificate';
export { connectPhase1, type Phase1Connection, type Phase1ConnectOptions } from './connect';
export * from './constants';
export {
  authPrfHash,
  describeSignatureMethod,
  isSignatureMethod,
  type SignatureMethod,
  signAuthHash,
  signatureMethodFor,
  skeyidSignature,
  verifyAuthHash,
} from './crypto/signature';
export { forSignatureAuth, type Phase1ErrorCode } from './errors';
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
export {
  describeRemoteIdentity,
  idPayloadMatches,
  type RemoteIdentity,
  remoteIdentityOf,
} from './peerIdentity';
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
export { buildEspPair, type EspOptions } from './quick/espPair';
export type { EspMode } from './quick/espProposals';
export { DEFAULT_DPD, type DpdPolicy } from './tasks/dpd';
export {
  type EspSpis,
  Informational,
  type InformationalCounters,
  sendInformational,
} from './tasks/informational';
export {
  MainModeResponder,
  type MainModeResponderCounters,
  type MainModeResponderOptions,
} from './tasks/mainModeResponder';
export {
  L2TP_PORT,
  type QuickModeOptions,
  type QuickModeResult,
  randomSpi,
  runQuickMode,
} from './tasks/quickMode';
export {
  QuickModeResponder,
  type QuickModeResponderCounters,
  type QuickModeResponderOptions,
  type RespondedChild,
} from './tasks/quickModeResponder';
export { isDraftVariant, NATT_VARIANTS, type NattVariant } from './vendorIds';
