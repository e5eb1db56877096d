/** One realistic instance of every payload kind, and whole messages, for round-trip tests and fuzz seeds. */
import { fromHex } from '../../../../core/common/bytes';
import { CertEncoding, DOI_IPSEC, IdType, NotifyType, ProtocolId } from '../../../../core/ike/constants';
import { encodeMessage } from '../../../../core/ike/message';
import type { Payload } from '../../../../core/ike/payloads/index';
import { natOaIpv4 } from '../../../../core/ike/payloads/natOa';
import { DEFAULT_PHASE1_PROPOSALS, phase1SaPayload } from '../../../../core/ike/proposals';
import { initiatorVendorIds } from '../../../../core/ike/vendorIds';
import { SOFTETHER_MM2, SOFTETHER_MM4, STRONGSWAN_MM2, STRONGSWAN_MM4 } from './captured';

const bytes = (n: number, start = 1) => Uint8Array.from({ length: n }, (_, i) => (start + i * 37) & 0xff);

export const SAMPLE_PAYLOADS: readonly Payload[] = [
  phase1SaPayload(DEFAULT_PHASE1_PROPOSALS),
  { kind: 'ke', data: bytes(256) },
  { kind: 'nonce', data: bytes(32, 9) },
  { kind: 'id', identity: { type: 'ipv4', address: '10.99.0.2' }, protocol: 17, port: 500 },
  { kind: 'id', identity: { type: 'fqdn', name: 'vpn.example.org' }, protocol: 0, port: 0 },
  { kind: 'cert', encoding: CertEncoding.X509_SIGNATURE, data: bytes(300, 3) },
  { kind: 'cr', certType: CertEncoding.X509_SIGNATURE, authority: bytes(20, 5) },
  { kind: 'hash', data: bytes(32, 11) },
  { kind: 'sig', data: bytes(256, 13) },
  {
    kind: 'notify',
    doi: DOI_IPSEC,
    protocol: ProtocolId.ISAKMP,
    spi: bytes(16),
    type: NotifyType.R_U_THERE,
    data: fromHex('00000001'),
  },
  {
    kind: 'notify',
    doi: DOI_IPSEC,
    protocol: ProtocolId.ESP,
    spi: fromHex('c0ffee00'),
    type: NotifyType.RESPONDER_LIFETIME,
    data: fromHex('80010001000200040000 0e10'.replace(' ', '')),
  },
  {
    kind: 'delete',
    doi: DOI_IPSEC,
    protocol: ProtocolId.ESP,
    spiSize: 4,
    spis: [fromHex('01020304'), fromHex('0a0b0c0d')],
  },
  { kind: 'vid', data: initiatorVendorIds()[0]! },
  { kind: 'nat-d', draft: false, hash: bytes(32, 17) },
  { kind: 'nat-d', draft: true, hash: bytes(20, 19) },
  natOaIpv4('10.99.0.2', false),
  natOaIpv4('192.168.1.7', true),
  { kind: 'nat-oa', draft: false, idType: IdType.IPV6_ADDR, address: bytes(16, 23) },
  { kind: 'unknown', payloadType: 14, body: bytes(12, 29) },
];

const cookieI = fromHex('c1c2c3c4c5c6c7c8');
const cookieR = fromHex('d1d2d3d4d5d6d7d8');

/** An MM1 as Ferry sends it, MM2/MM4-like replies, a notify and real server replies: seeds for message fuzzing. */
export function sampleMessages(): Uint8Array[] {
  const h = (r: Uint8Array, exchangeType = 2) => ({
    initiatorCookie: cookieI,
    responderCookie: r,
    exchangeType,
    flags: 0,
    messageId: 0,
  });
  return [
    encodeMessage(h(new Uint8Array(8)), [
      phase1SaPayload(DEFAULT_PHASE1_PROPOSALS),
      ...initiatorVendorIds().map((data): Payload => ({ kind: 'vid', data })),
    ]),
    encodeMessage(h(cookieR), [
      phase1SaPayload(DEFAULT_PHASE1_PROPOSALS.slice(0, 1)),
      { kind: 'vid', data: initiatorVendorIds()[0]! },
    ]),
    encodeMessage(h(cookieR), [
      { kind: 'ke', data: bytes(256) },
      { kind: 'nonce', data: bytes(16) },
      { kind: 'nat-d', draft: false, hash: bytes(32) },
      { kind: 'nat-d', draft: false, hash: bytes(32, 2) },
    ]),
    encodeMessage(h(new Uint8Array(8), 5), [SAMPLE_PAYLOADS[9]!]),
    SOFTETHER_MM2,
    SOFTETHER_MM4,
    STRONGSWAN_MM2,
    STRONGSWAN_MM4,
  ];
}
