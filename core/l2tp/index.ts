/** L2TPv2 (RFC 2661), LAC side: public surface for the connection orchestrator. */
export { type Avp, avp, decodeAvps, encodeAvps, findAvp, type KnownAvp, type OpaqueAvp } from './avp';
export type { AvpName, AvpValues, ResultCodeValue } from './avpValues';
export { L2TP_PORT, MessageType } from './constants';
export {
  type ControlMessage,
  decodeControlMessage,
  encodeControlMessage,
  isControlDatagram,
  messageTypeOf,
} from './controlMessage';
export type { L2tpCounters } from './counters';
export { DataFramer, type DataMessage, decodeDataMessage } from './dataMessage';
export { describeResult, type L2tpPhase } from './errors';
export {
  DEFAULT_RETRANSMIT,
  ReliableTransport,
  type ReliableTransportOptions,
  type RetransmitPolicy,
  type TransportFailure,
} from './reliableTransport';
export {
  L2tpSession,
  type L2tpSessionEvents,
  type L2tpSessionOptions,
  type L2tpSessionState,
} from './session';
export {
  type L2tpPeerInfo,
  L2tpTunnel,
  type L2tpTunnelEvents,
  type L2tpTunnelOptions,
  type L2tpTunnelState,
} from './tunnel';
