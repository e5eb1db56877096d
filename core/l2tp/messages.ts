/**
 * The control messages Ferry sends as a LAC (RFC 2661 §6: which AVPs each carries) and the checks on the
 * ones it receives. Builders return AVP lists with Message Type first (§4.4.1); parsers return typed
 * fields or a Violation saying which Result/Error Code the StopCCN or CDN in answer should carry.
 */
import { err, ok, type Result } from '../common/result';
import { type Avp, avp, avpLabel, findAvp, type OpaqueAvp } from './avp';
import type { ProtocolVersionValue, Q931CauseValue, ResultCodeValue } from './avpValues';
import { ErrorCode, FRAMING_ASYNC, FRAMING_SYNC, MessageType, StopCcnResult } from './constants';

export interface Violation {
  readonly resultCode: number;
  readonly errorCode: number;
  readonly message: string;
}

export interface SccrqParams {
  readonly assignedTunnelId: number;
  readonly receiveWindow: number;
  readonly hostName: string;
  readonly vendorName: string;
  readonly firmwareRevision: number;
}

/** §6.1. No Tie Breaker (Ferry never answers SCCRQs), no Challenge (no tunnel secret), no Bearer Capabilities. */
export function buildSccrq(p: SccrqParams): Avp[] {
  return [
    avp('messageType', MessageType.SCCRQ),
    avp('protocolVersion', { version: 1, revision: 0 }),
    avp('hostName', p.hostName),
    avp('framingCapabilities', FRAMING_SYNC | FRAMING_ASYNC),
    avp('assignedTunnelId', p.assignedTunnelId),
    avp('receiveWindowSize', p.receiveWindow),
    avp('firmwareRevision', p.firmwareRevision),
    avp('vendorName', p.vendorName),
  ];
}

/** §6.3 (no Challenge Response: Ferry never receives a challenge it accepts). */
export function buildScccn(): Avp[] {
  return [avp('messageType', MessageType.SCCCN)];
}

/** §6.4: our Assigned Tunnel ID and a Result Code. */
export function buildStopCcn(assignedTunnelId: number, result: ResultCodeValue): Avp[] {
  return [
    avp('messageType', MessageType.StopCCN),
    avp('assignedTunnelId', assignedTunnelId),
    avp('resultCode', result),
  ];
}

/** §6.5. */
export function buildHello(): Avp[] {
  return [avp('messageType', MessageType.HELLO)];
}

export interface IcrqParams {
  readonly assignedSessionId: number;
  readonly callSerialNumber: number;
  readonly bearerType?: number;
}

/** §6.9. */
export function buildIcrq(p: IcrqParams): Avp[] {
  const avps = [
    avp('messageType', MessageType.ICRQ),
    avp('assignedSessionId', p.assignedSessionId),
    avp('callSerialNumber', p.callSerialNumber),
  ];
  if (p.bearerType !== undefined) avps.push(avp('bearerType', p.bearerType));
  return avps;
}

export interface IccnParams {
  readonly txConnectSpeed: number;
  readonly framingType: number;
  readonly rxConnectSpeed?: number;
  readonly sequencingRequired: boolean;
}

/** §6.11. */
export function buildIccn(p: IccnParams): Avp[] {
  const avps = [
    avp('messageType', MessageType.ICCN),
    avp('txConnectSpeed', p.txConnectSpeed),
    avp('framingType', p.framingType),
  ];
  if (p.rxConnectSpeed !== undefined) avps.push(avp('rxConnectSpeed', p.rxConnectSpeed));
  if (p.sequencingRequired) avps.push(avp('sequencingRequired', true));
  return avps;
}

/** §6.13: our Assigned Session ID, a Result Code, optionally a Q.931 cause. */
export function buildCdn(assignedSessionId: number, result: ResultCodeValue, q931?: Q931CauseValue): Avp[] {
  const avps = [
    avp('messageType', MessageType.CDN),
    avp('resultCode', result),
    avp('assignedSessionId', assignedSessionId),
  ];
  if (q931) avps.push(avp('q931CauseCode', q931));
  return avps;
}

/** §4.2: the first AVP that makes the message unacceptable: unrecognised, hidden or unreadable with M set. */
export function unacceptableAvp(avps: readonly Avp[]): OpaqueAvp | undefined {
  for (const a of avps) if (a.name === 'opaque' && a.mandatory) return a;
  return undefined;
}

/** The Violation answering an unacceptable mandatory AVP (§4.2, Error Code 8 or 2 for a bad length). */
export function unacceptableViolation(a: OpaqueAvp): Violation {
  const malformed = a.why === 'malformed';
  return {
    resultCode: StopCcnResult.GeneralError,
    errorCode: malformed ? ErrorCode.WrongLength : ErrorCode.UnknownMandatoryAvp,
    message: malformed
      ? `malformed mandatory AVP ${avpLabel(a)}: ${a.reason ?? ''}`
      : `${a.why === 'hidden' ? 'hidden' : 'unknown'} mandatory AVP ${avpLabel(a)}`,
  };
}

function missing(what: string): Violation {
  return {
    resultCode: StopCcnResult.GeneralError,
    errorCode: ErrorCode.VendorSpecific,
    message: `missing ${what}`,
  };
}

export interface Sccrp {
  readonly assignedTunnelId: number;
  readonly receiveWindowSize?: number;
  readonly protocolVersion?: ProtocolVersionValue;
  readonly hostName?: string;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  readonly framingCapabilities?: number;
  readonly bearerCapabilities?: number;
  readonly challenge: boolean;
  /** RFC-mandatory AVPs the peer left out but Ferry can do without (logged, tolerated). */
  readonly missing: readonly string[];
}

/** §6.2. Assigned Tunnel ID is required; a Protocol Version other than 1.0 is refused (§4.4.3). */
export function parseSccrp(avps: readonly Avp[]): Result<Sccrp, Violation> {
  const assignedTunnelId = findAvp(avps, 'assignedTunnelId');
  if (assignedTunnelId === undefined || assignedTunnelId === 0) return err(missing('Assigned Tunnel ID'));
  const protocolVersion = findAvp(avps, 'protocolVersion');
  if (protocolVersion && (protocolVersion.version !== 1 || protocolVersion.revision !== 0))
    return err({
      resultCode: StopCcnResult.ProtocolVersion,
      errorCode: 0x0100,
      message: `peer speaks protocol version ${protocolVersion.version}.${protocolVersion.revision}`,
    });
  const tolerated: string[] = [];
  if (!protocolVersion) tolerated.push('Protocol Version');
  const hostName = findAvp(avps, 'hostName');
  if (hostName === undefined) tolerated.push('Host Name');
  const framingCapabilities = findAvp(avps, 'framingCapabilities');
  if (framingCapabilities === undefined) tolerated.push('Framing Capabilities');
  return ok({
    assignedTunnelId,
    receiveWindowSize: findAvp(avps, 'receiveWindowSize'),
    protocolVersion,
    hostName,
    vendorName: findAvp(avps, 'vendorName'),
    firmwareRevision: findAvp(avps, 'firmwareRevision'),
    framingCapabilities,
    bearerCapabilities: findAvp(avps, 'bearerCapabilities'),
    challenge: avps.some((a) => a.name === 'challenge'),
    missing: tolerated,
  });
}

/** §6.10: the LNS's Assigned Session ID. */
export function parseIcrp(avps: readonly Avp[]): Result<{ readonly assignedSessionId: number }, Violation> {
  const assignedSessionId = findAvp(avps, 'assignedSessionId');
  if (assignedSessionId === undefined || assignedSessionId === 0) return err(missing('Assigned Session ID'));
  return ok({ assignedSessionId });
}

export interface StopCcn {
  readonly assignedTunnelId?: number;
  readonly result?: ResultCodeValue;
}

/** §6.4. Lenient: a StopCCN ends the tunnel whatever it lacks. */
export function parseStopCcn(avps: readonly Avp[]): StopCcn {
  return { assignedTunnelId: findAvp(avps, 'assignedTunnelId'), result: findAvp(avps, 'resultCode') };
}

export interface Cdn {
  readonly assignedSessionId?: number;
  readonly result?: ResultCodeValue;
  readonly q931?: Q931CauseValue;
}

/** §6.13. Lenient: a CDN ends the session whatever it lacks. */
export function parseCdn(avps: readonly Avp[]): Cdn {
  return {
    assignedSessionId: findAvp(avps, 'assignedSessionId'),
    result: findAvp(avps, 'resultCode'),
    q931: findAvp(avps, 'q931CauseCode'),
  };
}
