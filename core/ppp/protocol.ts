/** PPP protocol numbers (RFC 1661 §2; IANA "PPP DLL Protocol Numbers") and control-packet codes (RFC 1661 §5). */

export const PROTO = {
  IP: 0x0021,
  IPV6: 0x0057,
  IPCP: 0x8021,
  IPV6CP: 0x8057,
  CCP: 0x80fd,
  LCP: 0xc021,
  PAP: 0xc023,
  LQR: 0xc025,
  CHAP: 0xc223,
  EAP: 0xc227,
} as const;

const NAMES: Readonly<Record<number, string>> = {
  [PROTO.IP]: 'ip',
  [PROTO.IPV6]: 'ipv6',
  [PROTO.IPCP]: 'ipcp',
  [PROTO.IPV6CP]: 'ipv6cp',
  [PROTO.CCP]: 'ccp',
  [PROTO.LCP]: 'lcp',
  [PROTO.PAP]: 'pap',
  [PROTO.LQR]: 'lqr',
  [PROTO.CHAP]: 'chap',
  [PROTO.EAP]: 'eap',
};

/** Short name for counters and logs: 'lcp', 'ipcp', … or '0x80fb' for the rest. */
export function protocolName(protocol: number): string {
  return NAMES[protocol] ?? `0x${protocol.toString(16).padStart(4, '0')}`;
}

/** Codes shared by every option-negotiation protocol (RFC 1661 §5) plus LCP's own (§5.7–5.9, RFC 1570). */
export const CODE = {
  CONFIGURE_REQUEST: 1,
  CONFIGURE_ACK: 2,
  CONFIGURE_NAK: 3,
  CONFIGURE_REJECT: 4,
  TERMINATE_REQUEST: 5,
  TERMINATE_ACK: 6,
  CODE_REJECT: 7,
  PROTOCOL_REJECT: 8,
  ECHO_REQUEST: 9,
  ECHO_REPLY: 10,
  DISCARD_REQUEST: 11,
  IDENTIFICATION: 12,
  TIME_REMAINING: 13,
} as const;
