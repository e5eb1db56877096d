/** L2TPv2 wire constants (RFC 2661). */

/** UDP port of L2TP (RFC 2661 §8.1). */
export const L2TP_PORT = 1701;

/** Header flag bits of the first 16-bit word (RFC 2661 §3.1). */
export const HDR_T = 0x8000;
export const HDR_L = 0x4000;
export const HDR_S = 0x0800;
export const HDR_O = 0x0200;
export const HDR_P = 0x0100;
export const HDR_VERSION_MASK = 0x000f;
/** Bits RFC 2661 §3.1 marks "x": reserved, sent as 0, ignored on receipt. */
export const HDR_RESERVED = 0x34f0;
export const L2TP_VERSION = 2;

/** AVP header bits (RFC 2661 §4.1). */
export const AVP_M = 0x8000;
export const AVP_H = 0x4000;
export const AVP_RESERVED = 0x3c00;
export const AVP_LENGTH_MASK = 0x03ff;
export const AVP_HEADER_LENGTH = 6;
export const AVP_MAX_VALUE_LENGTH = AVP_LENGTH_MASK - AVP_HEADER_LENGTH;

/** Control message types (RFC 2661 §3.2). */
export const MessageType = {
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  StopCCN: 4,
  HELLO: 6,
  OCRQ: 7,
  OCRP: 8,
  OCCN: 9,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  CDN: 14,
  WEN: 15,
  SLI: 16,
} as const;
export type MessageTypeName = keyof typeof MessageType;

const MESSAGE_NAMES = new Map<number, MessageTypeName>(
  Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]),
);

export function messageTypeName(type: number | null): string {
  if (type === null) return 'ZLB';
  return MESSAGE_NAMES.get(type) ?? `message type ${type}`;
}

export function isKnownMessageType(type: number): boolean {
  return MESSAGE_NAMES.has(type);
}

/** Messages about the control connection as a whole; the rest belong to a session (RFC 2661 §3.2). */
export function isTunnelScope(type: number): boolean {
  return type <= MessageType.HELLO;
}

/** Framing Capabilities / Framing Type bits (RFC 2661 §4.4.3, §4.4.5). */
export const FRAMING_SYNC = 0x1;
export const FRAMING_ASYNC = 0x2;
/** Bearer Capabilities / Bearer Type bits (RFC 2661 §4.4.3, §4.4.5). */
export const BEARER_DIGITAL = 0x1;
export const BEARER_ANALOG = 0x2;

/** StopCCN Result Codes (RFC 2661 §4.4.2). */
export const StopCcnResult = {
  GeneralClear: 1,
  GeneralError: 2,
  AlreadyExists: 3,
  NotAuthorized: 4,
  ProtocolVersion: 5,
  ShuttingDown: 6,
  FsmError: 7,
} as const;

/** CDN Result Codes (RFC 2661 §4.4.2). */
export const CdnResult = {
  LostCarrier: 1,
  GeneralError: 2,
  Administrative: 3,
  TemporaryNoFacilities: 4,
  PermanentNoFacilities: 5,
  InvalidDestination: 6,
  NoCarrier: 7,
  Busy: 8,
  NoDialTone: 9,
  NotEstablishedInTime: 10,
  NoFraming: 11,
} as const;

/** General Error Codes (RFC 2661 §4.4.2). */
export const ErrorCode = {
  None: 0,
  NoControlConnection: 1,
  WrongLength: 2,
  OutOfRange: 3,
  InsufficientResources: 4,
  InvalidSessionId: 5,
  VendorSpecific: 6,
  TryAnother: 7,
  UnknownMandatoryAvp: 8,
} as const;

const STOPCCN_RESULT_TEXT: readonly string[] = [
  'reserved',
  'general request to clear control connection',
  'general error',
  'control channel already exists',
  'requester is not authorized to establish a control channel',
  'protocol version not supported',
  'requester is being shut down',
  'finite state machine error',
];

const CDN_RESULT_TEXT: readonly string[] = [
  'reserved',
  'call disconnected due to loss of carrier',
  'call disconnected for the reason indicated in error code',
  'call disconnected for administrative reasons',
  'call failed due to lack of appropriate facilities (temporary)',
  'call failed due to lack of appropriate facilities (permanent)',
  'invalid destination',
  'call failed due to no carrier detected',
  'call failed due to detection of a busy signal',
  'call failed due to lack of a dial tone',
  'call was not established within time allotted by LAC',
  'call was connected but no appropriate framing was detected',
];

const ERROR_CODE_TEXT: readonly string[] = [
  'no general error',
  'no control connection exists yet for this LAC-LNS pair',
  'length is wrong',
  'a field value was out of range or a reserved field was non-zero',
  'insufficient resources to handle this operation now',
  'the session ID is invalid in this context',
  'a generic vendor-specific error occurred',
  'try another LNS',
  'shut down due to receipt of an unknown AVP with the M bit set',
];

export function stopCcnResultText(code: number): string {
  return STOPCCN_RESULT_TEXT[code] ?? `result code ${code}`;
}

export function cdnResultText(code: number): string {
  return CDN_RESULT_TEXT[code] ?? `result code ${code}`;
}

export function errorCodeText(code: number): string {
  return ERROR_CODE_TEXT[code] ?? `error code ${code}`;
}
