/** The FerryErrors the L2TP layer reports: phase 'l2tp-tunnel' or 'l2tp-session', a stable code, a hint. */
import { FerryError } from '../common/errors';
import type { Q931CauseValue, ResultCodeValue } from './avpValues';
import {
  CdnResult,
  cdnResultText,
  errorCodeText,
  messageTypeName,
  StopCcnResult,
  stopCcnResultText,
} from './constants';

export type L2tpPhase = 'l2tp-tunnel' | 'l2tp-session';

/** "result 2 (general error), error 6 (…): message" */
export function describeResult(r: ResultCodeValue, scope: 'tunnel' | 'session'): string {
  const resultText = scope === 'tunnel' ? stopCcnResultText(r.result) : cdnResultText(r.result);
  let s = `result ${r.result} (${resultText})`;
  if (r.error !== undefined && r.error !== 0) s += `, error ${r.error} (${errorCodeText(r.error)})`;
  const text = r.message ? printable(r.message) : '';
  if (text) s += `: "${text}"`;
  return s;
}

/** Peer-supplied text without control characters (SoftEther pads its Result Code with NULs) and bounded. */
function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c !== 0x7f) out += ch;
  }
  return out.trim().slice(0, 200);
}

/** No SCCRP (or no reply at all) while opening the tunnel. */
export function tunnelTimeout(detail: string): FerryError {
  return new FerryError({
    phase: 'l2tp-tunnel',
    code: 'timeout',
    message: `no reply to SCCRQ (${detail})`,
    hint: 'no reply to SCCRQ — the server may not run L2TP or IPsec is filtering UDP 1701',
  });
}

/** No ICRP while opening the session. */
export function sessionTimeout(detail: string): FerryError {
  return new FerryError({
    phase: 'l2tp-session',
    code: 'timeout',
    message: `no reply to ICRQ (${detail})`,
    hint: 'the server accepted the L2TP tunnel but did not answer the call request — check its L2TP/PPP service',
  });
}

/** An established control connection stopped acknowledging (§5.8 retry limit). */
export function retryLimit(phase: L2tpPhase, type: number | null, retries: number, ms: number): FerryError {
  return new FerryError({
    phase,
    code: 'retry-limit',
    message: `${messageTypeName(type)} not acknowledged after ${retries} retransmissions (${Math.round(ms / 1000)} s)`,
    hint: 'the server stopped answering L2TP control messages — it may have restarted, or the IPsec SA is gone',
  });
}

const STOP_HINTS: Record<number, string> = {
  // SoftEther (Proto_L2TP.c) writes its Result Code from a USHORT[4] in host order: result 0, error 0x0600.
  0: 'the server closed the L2TP tunnel (SoftEther does this whenever its PPP session ends; see the session error)',
  [StopCcnResult.GeneralClear]: 'the server closed the L2TP tunnel',
  [StopCcnResult.GeneralError]: 'the server reported an L2TP error; its log has details',
  [StopCcnResult.AlreadyExists]:
    'the server still holds an old tunnel from this client; wait a few seconds and reconnect',
  [StopCcnResult.NotAuthorized]:
    'the server does not accept L2TP tunnels from this client; check its L2TP/IPsec settings',
  [StopCcnResult.ProtocolVersion]: 'the server does not speak L2TP version 2 (RFC 2661)',
  [StopCcnResult.ShuttingDown]: 'the server is shutting down; try again later',
  [StopCcnResult.FsmError]: 'the server saw an unexpected L2TP message; reconnect',
};

/** The peer sent StopCCN (§5.7). */
export function peerStop(result: ResultCodeValue | undefined): FerryError {
  const text = result ? describeResult(result, 'tunnel') : 'no Result Code';
  return new FerryError({
    phase: 'l2tp-tunnel',
    code: 'peer-stop',
    message: `server sent StopCCN: ${text}`,
    hint: (result && STOP_HINTS[result.result]) ?? 'the server closed the L2TP tunnel',
  });
}

const CDN_HINTS: Record<number, string> = {
  [CdnResult.LostCarrier]: 'the server dropped the call (its PPP side ended)',
  [CdnResult.GeneralError]: 'the server reported a call error; its log has details',
  [CdnResult.Administrative]:
    'the server disconnected the call for administrative reasons (idle timeout, admin action or failed PPP authentication)',
  [CdnResult.TemporaryNoFacilities]: 'the server has no free session slots right now; try again later',
  [CdnResult.PermanentNoFacilities]: 'the server refuses new sessions (licence or session limit)',
};

/** The peer sent CDN (§5.7). */
export function peerDisconnect(result: ResultCodeValue | undefined, q931?: Q931CauseValue): FerryError {
  let text = result ? describeResult(result, 'session') : 'no Result Code';
  if (q931) text += `; Q.931 cause ${q931.cause}${q931.advisory ? ` "${printable(q931.advisory)}"` : ''}`;
  return new FerryError({
    phase: 'l2tp-session',
    code: 'peer-disconnect',
    message: `server sent CDN: ${text}`,
    hint: (result && CDN_HINTS[result.result]) ?? 'the server ended the L2TP session',
  });
}

/** The tunnel under a session went away. */
export function tunnelGone(cause: FerryError | null): FerryError {
  return new FerryError({
    phase: 'l2tp-session',
    code: 'tunnel-closed',
    message: cause ? `L2TP tunnel closed: ${cause.message}` : 'L2TP tunnel closed',
    hint: cause?.hint ?? 'the L2TP tunnel was closed',
    ...(cause ? { cause } : {}),
  });
}

/** The peer violated the protocol; Ferry tore down the tunnel or session (StopCCN/CDN sent). */
export function protocolError(phase: L2tpPhase, message: string): FerryError {
  return new FerryError({
    phase,
    code: 'protocol-error',
    message,
    hint: 'the server sent an L2TP message Ferry cannot accept; a capture or the server log shows which',
  });
}

/** §4.2: an unrecognised AVP with the M bit set ends the tunnel or session. */
export function unknownMandatoryAvp(
  phase: L2tpPhase,
  what: string,
  messageType: number,
  hidden = false,
): FerryError {
  return new FerryError({
    phase,
    code: 'unknown-mandatory-avp',
    message: `${messageTypeName(messageType)} carries ${hidden ? 'hidden ' : ''}${what} with the M bit set`,
    hint: hidden
      ? 'the server hides AVPs (e.g. xl2tpd "hidden bit = yes"), which needs a tunnel secret Ferry does not support; turn hiding off on the server'
      : 'the server requires an L2TP extension Ferry does not implement',
  });
}

export function tunnelAuthUnsupported(): FerryError {
  return new FerryError({
    phase: 'l2tp-tunnel',
    code: 'tunnel-auth-unsupported',
    message: 'SCCRP carries a Challenge AVP (L2TP tunnel authentication)',
    hint: 'the server requires an L2TP tunnel secret, which Ferry does not support; disable tunnel authentication on the server',
  });
}

/** The operation was cut short by a local close(). */
export function closedLocally(phase: L2tpPhase, what: string): FerryError {
  return new FerryError({
    phase,
    code: 'closed',
    message: `${what}: closed locally`,
    hint: 'the connection was closed before it finished',
  });
}

/** A method was called in a state that does not allow it. */
export function invalidState(phase: L2tpPhase, what: string, state: string): FerryError {
  return new FerryError({
    phase,
    code: 'invalid-state',
    message: `${what} while ${state}`,
    hint: 'internal sequencing error in the connection orchestrator',
  });
}
