/** Human names for what crosses the fake LNS, for its record and for test assertions. */
import { messageTypeName } from '../../../core/l2tp/constants';
import { CODE, PROTO, protocolName } from '../../../core/ppp/protocol';

const NEGOTIATION_CODES: Readonly<Record<number, string>> = {
  [CODE.CONFIGURE_REQUEST]: 'Configure-Request',
  [CODE.CONFIGURE_ACK]: 'Configure-Ack',
  [CODE.CONFIGURE_NAK]: 'Configure-Nak',
  [CODE.CONFIGURE_REJECT]: 'Configure-Reject',
  [CODE.TERMINATE_REQUEST]: 'Terminate-Request',
  [CODE.TERMINATE_ACK]: 'Terminate-Ack',
  [CODE.CODE_REJECT]: 'Code-Reject',
  [CODE.PROTOCOL_REJECT]: 'Protocol-Reject',
  [CODE.ECHO_REQUEST]: 'Echo-Request',
  [CODE.ECHO_REPLY]: 'Echo-Reply',
  [CODE.DISCARD_REQUEST]: 'Discard-Request',
};

const AUTH_CODES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [PROTO.PAP]: { 1: 'Authenticate-Request', 2: 'Authenticate-Ack', 3: 'Authenticate-Nak' },
  [PROTO.CHAP]: { 1: 'Challenge', 2: 'Response', 3: 'Success', 4: 'Failure' },
  [PROTO.EAP]: { 1: 'Request', 2: 'Response', 3: 'Success', 4: 'Failure' },
};

/** 'LCP Configure-Request', 'CHAP Response', 'IPCP Configure-Ack', 'IP' … */
export function pppPacketName(protocol: number, code: number | null): string {
  const proto = protocolName(protocol).toUpperCase();
  if (code === null) return proto;
  const name = AUTH_CODES[protocol]?.[code] ?? NEGOTIATION_CODES[code] ?? `code ${code}`;
  return `${proto} ${name}`;
}

/** 'SCCRQ', 'CDN', 'ZLB' … */
export const l2tpMessageName = messageTypeName;
