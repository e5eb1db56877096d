import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import { DOI_IPSEC, IdType, NotifyType, PayloadType, ProtocolId } from '../../../core/ike/constants';
import {
  decodeHeader,
  decodePayloadChain,
  decodePlainMessage,
  encodeMessage,
  encodePayloadChain,
  type OutgoingPayload,
  unknownCriticalPayloads,
} from '../../../core/ike/message';
import {
  attributeNumber,
  decodeAttributes,
  encodeAttributes,
  numberAttribute,
} from '../../../core/ike/payloads/attributes';
import { decodeDeletePayload, encodeDeletePayload } from '../../../core/ike/payloads/delete';
import { decodeIdPayload, encodeIdPayload, type Identity } from '../../../core/ike/payloads/identification';
import { decodePayloadBody, encodePayloadBody, type Payload } from '../../../core/ike/payloads/index';
import { decodeNatOaPayload, natOaIpv4 } from '../../../core/ike/payloads/natOa';
import { decodeSaPayload, encodeSaPayload } from '../../../core/ike/payloads/sa';
import { DEFAULT_PHASE1_PROPOSALS, phase1SaPayload } from '../../../core/ike/proposals';
import { SAMPLE_PAYLOADS } from './support/samples';

describe('data attributes (RFC 2408 §3.3)', () => {
  it('encodes TV and TLV forms bit-exactly', () => {
    const bytes = encodeAttributes([
      { type: 1, format: 'tv', value: 7 },
      numberAttribute(12, 28800),
      numberAttribute(12, 86400),
    ]);
    expect(toHex(bytes)).toBe('80010007' + '800c7080' + '000c000400015180');
    const back = decodeAttributes(bytes);
    expect(back.ok).toBe(true);
    if (back.ok) expect(back.value.map(attributeNumber)).toEqual([7, 28800, 86400]);
  });

  it('reads long TLV values whose high bytes are zero and refuses wider ones', () => {
    expect(attributeNumber({ type: 12, format: 'tlv', value: fromHex('00000000000000015180') })).toBe(86400);
    expect(
      attributeNumber({ type: 12, format: 'tlv', value: fromHex('01000000000000015180') }),
    ).toBeUndefined();
    expect(attributeNumber({ type: 12, format: 'tlv', value: new Uint8Array(0) })).toBeUndefined();
  });

  it('rejects a TLV whose length overruns', () => {
    const r = decodeAttributes(fromHex('000c0008000151'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('truncated');
  });
});

describe('SA payload (RFC 2408 §3.4-3.6)', () => {
  it('encodes the phase-1 offer with one proposal and one transform per combination', () => {
    const sa = phase1SaPayload(DEFAULT_PHASE1_PROPOSALS.slice(0, 1));
    // DOI 1, SIT_IDENTITY_ONLY; proposal #1 ISAKMP, SPI size 0, 1 transform; transform #1 KEY_IKE with
    // AES-CBC, key length 256, SHA2-256, group 14, PSK, life seconds 28800 (RFC 2409 App. A, RFC 3602, RFC 4868).
    expect(toHex(encodeSaPayload(sa))).toBe(
      '00000001' +
        '00000001' +
        '0000002c' +
        '01010001' +
        '00000024' +
        '01010000' +
        '80010007' +
        '800e0100' +
        '80020004' +
        '8004000e' +
        '80030001' +
        '800b0001' +
        '800c7080',
    );
  });

  it('round-trips multi-proposal, multi-transform SAs with SPIs', () => {
    const sa: Payload = {
      kind: 'sa',
      doi: DOI_IPSEC,
      situation: 1,
      proposals: [
        {
          number: 1,
          protocol: ProtocolId.ESP,
          spi: fromHex('c0ffee01'),
          transforms: [
            {
              number: 1,
              id: 12,
              attributes: [numberAttribute(1, 1), numberAttribute(2, 3600), numberAttribute(4, 4)],
            },
            { number: 2, id: 3, attributes: [] },
          ],
        },
        {
          number: 2,
          protocol: ProtocolId.AH,
          spi: fromHex('c0ffee02'),
          transforms: [{ number: 1, id: 2, attributes: [] }],
        },
      ],
    };
    const body = encodePayloadBody(sa);
    const back = decodeSaPayload(body);
    expect(back.ok && back.value).toEqual(sa);
  });

  it.each([
    ['a transform count that disagrees', (b: Uint8Array) => (b[8 + 7] = 2)],
    ['a proposal followed by a non-proposal', (b: Uint8Array) => (b[8] = 5)],
    ['a transform followed by a non-transform', (b: Uint8Array) => (b[8 + 8] = 1)],
    ['a proposal length beyond the SA', (b: Uint8Array) => (b[8 + 3] = 0xff)],
    ['a transform length below 8', (b: Uint8Array) => (b[8 + 8 + 3] = 4)],
    ['a labeled-domain situation', (b: Uint8Array) => (b[7] = 3)],
  ])('rejects %s', (_name, corrupt) => {
    const b = encodeSaPayload(phase1SaPayload(DEFAULT_PHASE1_PROPOSALS.slice(0, 1)));
    corrupt(b);
    expect(decodeSaPayload(b).ok).toBe(false);
  });

  it('rejects trailing bytes after the last proposal', () => {
    const b = encodeSaPayload(phase1SaPayload(DEFAULT_PHASE1_PROPOSALS.slice(0, 1)));
    const longer = new Uint8Array(b.length + 3);
    longer.set(b);
    expect(decodeSaPayload(longer).ok).toBe(false);
  });
});

describe('identification payload (RFC 2407 §4.6.2)', () => {
  const ids: Identity[] = [
    { type: 'ipv4', address: '10.99.0.2' },
    { type: 'fqdn', name: 'vpn.example.org' },
    { type: 'user-fqdn', name: 'alice@example.org' },
    { type: 'ipv4-subnet', address: '192.168.30.0', mask: '255.255.255.0' },
    { type: 'der-asn1-dn', der: fromHex('3011310f300d06035504030c06736572766572') },
    { type: 'other', idType: IdType.KEY_ID, data: fromHex('0102') },
  ];
  it.each(ids)('round-trips %o', (identity) => {
    const body = encodeIdPayload({ identity, protocol: 17, port: 1701 });
    const back = decodeIdPayload(body);
    expect(back.ok && back.value).toEqual({ kind: 'id', identity, protocol: 17, port: 1701 });
  });

  it('encodes ID_IPV4_ADDR 0.0.0.0 as SoftEther sends it', () => {
    expect(
      toHex(encodeIdPayload({ identity: { type: 'ipv4', address: '0.0.0.0' }, protocol: 0, port: 0 })),
    ).toBe('0100000000000000');
  });

  it('rejects wrong address lengths and non-UTF-8 names', () => {
    expect(decodeIdPayload(fromHex('01000000010203')).ok).toBe(false);
    expect(decodeIdPayload(fromHex('0400000001020304ffffff')).ok).toBe(false);
    expect(decodeIdPayload(fromHex('02000000ff')).ok).toBe(false);
  });
});

describe('other payloads', () => {
  it('round-trips every sample payload through body encode/decode', () => {
    for (const p of SAMPLE_PAYLOADS) {
      const type = p.kind === 'unknown' ? p.payloadType : undefined;
      const body = encodePayloadBody(p);
      const back = decodePayloadBody(type ?? typeOf(p), body);
      expect(back.ok && back.value).toEqual(p);
    }
  });

  it('encodes an INITIAL-CONTACT notify with the cookie pair as SPI (RFC 2407 §4.6.3.3)', () => {
    const body = encodePayloadBody({
      kind: 'notify',
      doi: 1,
      protocol: 1,
      spi: fromHex('0102030405060708a1a2a3a4a5a6a7a8'),
      type: NotifyType.INITIAL_CONTACT,
      data: new Uint8Array(0),
    });
    expect(toHex(body)).toBe('000000010110' + '6002' + '0102030405060708a1a2a3a4a5a6a7a8');
  });

  it('validates delete payload SPI counts', () => {
    const body = encodeDeletePayload({
      doi: 1,
      protocol: 3,
      spiSize: 4,
      spis: [fromHex('01020304'), fromHex('05060708')],
    });
    expect(toHex(body)).toBe('0000000103040002' + '0102030405060708');
    expect(decodeDeletePayload(body.subarray(0, body.length - 1)).ok).toBe(false);
    expect(decodeDeletePayload(fromHex('0000000101100000')).ok).toBe(true);
  });

  it('reads NAT-OA for IPv4 and refuses other ID types', () => {
    const p = natOaIpv4('10.99.0.2', false);
    expect(toHex(encodePayloadBody(p))).toBe('010000000a630002');
    expect(decodeNatOaPayload(fromHex('02000000aabbccdd'), false).ok).toBe(false);
    expect(decodeNatOaPayload(fromHex('010000000a6300'), false).ok).toBe(false);
  });
});

describe('message and payload chain (RFC 2408 §3.1-3.2)', () => {
  const header = {
    initiatorCookie: fromHex('0102030405060708'),
    responderCookie: fromHex('1112131415161718'),
    exchangeType: 2,
    flags: 0,
    messageId: 0,
  };

  it('encodes the header and chain, and decodes the same payloads with their raw bytes', () => {
    const payloads: OutgoingPayload[] = [
      { kind: 'ke', data: fromHex('aabbccdd') },
      { kind: 'nonce', data: fromHex('0011223344556677') },
      { kind: 'nat-d', draft: false, hash: fromHex('99'.repeat(20)) },
    ];
    const m = encodeMessage(header, payloads);
    expect(toHex(m.subarray(0, 28))).toBe(
      `010203040506070811121314151617180410020000000000${m.length.toString(16).padStart(8, '0')}`,
    );
    // Next-payload chain: KE -> NONCE -> NAT-D -> NONE.
    expect([m[28], m[28 + 8], m[28 + 8 + 12]]).toEqual([PayloadType.NONCE, PayloadType.NAT_D, 0]);
    const back = decodePlainMessage(m);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.value.payloads.map((e) => e.payload)).toEqual(payloads);
    expect(toHex(back.value.payloads[1]!.body)).toBe('0011223344556677');
    expect(toHex(back.value.payloads[1]!.bytes)).toBe('140000 0c0011223344556677'.replace(' ', ''));
  });

  it('preserves unknown payloads and the critical bit, and reports unknown critical ones', () => {
    const payloads: OutgoingPayload[] = [
      { kind: 'unknown', payloadType: 99, body: fromHex('deadbeef') },
      { kind: 'unknown', payloadType: 14, body: fromHex('00'), critical: true },
      { kind: 'vid', data: fromHex('abcd'), critical: true },
    ];
    const chain = encodePayloadChain(payloads);
    const back = decodePayloadChain(chain.first, chain.bytes);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.value.map((e) => e.critical)).toEqual([false, true, true]);
    expect(back.value.map((e) => e.payload)).toEqual(payloads.map(({ critical: _c, ...p }) => p));
    expect(unknownCriticalPayloads(back.value)).toEqual([14]);
    const again = encodePayloadChain(payloads);
    expect(toHex(again.bytes)).toBe(toHex(chain.bytes));
  });

  it('validates header and payload lengths', () => {
    const m = encodeMessage(header, [{ kind: 'vid', data: fromHex('abcd') }]);
    const longHeader = m.slice();
    longHeader[27] = m.length + 1;
    expect(decodeHeader(longHeader).ok).toBe(false);
    const shortHeader = m.slice();
    shortHeader[27] = 27;
    expect(decodeHeader(shortHeader).ok).toBe(false);
    const badVersion = m.slice();
    badVersion[17] = 0x20;
    const v = decodeHeader(badVersion);
    expect(!v.ok && v.error.code).toBe('unsupported');
    const payloadTooLong = m.slice();
    payloadTooLong[28 + 3] = 0x20;
    expect(decodePlainMessage(payloadTooLong).ok).toBe(false);
    const payloadTooShort = m.slice();
    payloadTooShort[28 + 3] = 3;
    expect(decodePlainMessage(payloadTooShort).ok).toBe(false);
    // A datagram longer than the header says is cut at the header's length.
    const padded = new Uint8Array(m.length + 5);
    padded.set(m);
    expect(decodePlainMessage(padded).ok).toBe(true);
    // But bytes after the last payload inside the message are an error.
    const trailing = new Uint8Array(m.length + 2);
    trailing.set(m);
    trailing[27] = trailing.length;
    expect(decodePlainMessage(trailing).ok).toBe(false);
  });

  it('refuses more than 64 payloads', () => {
    const many: OutgoingPayload[] = Array.from({ length: 65 }, () => ({
      kind: 'vid',
      data: new Uint8Array(1),
    }));
    const chain = encodePayloadChain(many);
    const r = decodePayloadChain(chain.first, chain.bytes);
    expect(!r.ok && r.error.code).toBe('too-large');
  });
});

function typeOf(p: Payload): number {
  const chain = encodePayloadChain([p]);
  return chain.first;
}
