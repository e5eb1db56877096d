/** Public surface of the PPP layer for the connection orchestrator. */
export { AppendedCode } from './auth/appendedCode';
export type { AuthMethod, AuthResultMethod } from './auth/methods';
export { DEFAULT_AUTH_METHODS } from './auth/methods';
export type { Credentials } from './auth/types';
export { type LegacyPrimitives, loadLegacyPrimitives } from './crypto/legacy';
export type { PppPhase } from './errors';
export { decodeFrame, encodeFrame, IP_FRAME_HEADER, IPV6_FRAME_HEADER, type PppFrame } from './frame';
export { PppLink } from './link';
export { PROTO, protocolName } from './protocol';
export { type AuthTimers, authTimers, type PppMfa, secondFactorFailure } from './secondFactor';
export type {
  PhaseEvent,
  PppCounters,
  PppIpv6Info,
  PppLinkEvents,
  PppLinkInfo,
  PppLinkOptions,
  PppLinkState,
} from './types';
