import { describe, expect, it } from 'vitest';
import { toHex } from '../../../core/common/bytes';
import { ExchangeType } from '../../../core/ike/constants';
import { decodeHeader, decodePlainMessage, encodeMessage, payloadsOfKind } from '../../../core/ike/message';
import { DEFAULT_PHASE1_PROPOSALS, matchChosenPhase1 } from '../../../core/ike/proposals';
import { chooseNattVariant, vendorIdName } from '../../../core/ike/vendorIds';
import {
  SOFTETHER_MM2,
  SOFTETHER_MM4,
  SOFTETHER_MM6,
  STRONGSWAN_BAD_PSK_NOTIFY,
  STRONGSWAN_MM2,
  STRONGSWAN_MM4,
} from './support/captured';

describe('datagrams captured from SoftEther', () => {
  it('MM2: the chosen transform matches our first default proposal; six vendor IDs, RFC 3947 preferred', () => {
    const m = decodePlainMessage(SOFTETHER_MM2);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.value.header.exchangeType).toBe(ExchangeType.IDENTITY_PROTECTION);
    const sa = payloadsOfKind(m.value.payloads, 'sa')[0]!.payload;
    const chosen = matchChosenPhase1(DEFAULT_PHASE1_PROPOSALS, sa);
    expect(typeof chosen !== 'string' && chosen).toEqual({
      proposal: DEFAULT_PHASE1_PROPOSALS[0],
      lifetimeSeconds: 28800,
    });
    const vids = payloadsOfKind(m.value.payloads, 'vid').map((v) => v.payload.data);
    expect(vids.map(vendorIdName)).toEqual([
      'NAT-T rfc3947',
      'NAT-T draft-03',
      'NAT-T draft-02n',
      'NAT-T draft-02',
      'draft-ietf-ipsec-nat-t-ike-00',
      'DPD',
    ]);
    expect(chooseNattVariant(vids)).toBe('rfc3947');
    // Re-encoding the decoded payloads reproduces the datagram byte for byte.
    const h = m.value.header;
    expect(
      toHex(
        encodeMessage(
          h,
          m.value.payloads.map((e) => e.payload),
        ),
      ),
    ).toBe(toHex(SOFTETHER_MM2));
  });

  it('MM4: 256-byte KE, 16-byte nonce, two SHA2-256 NAT-D hashes', () => {
    const m = decodePlainMessage(SOFTETHER_MM4);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(payloadsOfKind(m.value.payloads, 'ke')[0]!.payload.data).toHaveLength(256);
    expect(payloadsOfKind(m.value.payloads, 'nonce')[0]!.payload.data).toHaveLength(16);
    expect(
      payloadsOfKind(m.value.payloads, 'nat-d').map((n) => [n.payload.draft, n.payload.hash.length]),
    ).toEqual([
      [false, 32],
      [false, 32],
    ]);
    expect(
      toHex(
        encodeMessage(
          m.value.header,
          m.value.payloads.map((e) => e.payload),
        ),
      ),
    ).toBe(toHex(SOFTETHER_MM4));
  });

  it('MM6: an encrypted Main Mode message of whole AES blocks', () => {
    const h = decodeHeader(SOFTETHER_MM6);
    expect(h.ok && h.value.flags & 1).toBe(1);
    expect(h.ok && (h.value.length - 28) % 16).toBe(0);
  });
});

describe('datagrams captured from strongSwan', () => {
  it('MM2 and MM4 decode and re-encode byte for byte', () => {
    for (const d of [STRONGSWAN_MM2, STRONGSWAN_MM4]) {
      const m = decodePlainMessage(d);
      expect(m.ok).toBe(true);
      if (!m.ok) return;
      expect(
        toHex(
          encodeMessage(
            m.value.header,
            m.value.payloads.map((e) => e.payload),
          ),
        ),
      ).toBe(toHex(d));
    }
    const m2 = decodePlainMessage(STRONGSWAN_MM2);
    if (!m2.ok) return;
    const vids = payloadsOfKind(m2.value.payloads, 'vid').map((v) => vendorIdName(v.payload.data));
    expect(vids).toEqual(['XAUTH', 'DPD', 'NAT-T rfc3947']);
    const sa = payloadsOfKind(m2.value.payloads, 'sa')[0]!.payload;
    const chosen = matchChosenPhase1(DEFAULT_PHASE1_PROPOSALS, sa);
    expect(typeof chosen !== 'string' && chosen.proposal).toEqual(DEFAULT_PHASE1_PROPOSALS[0]);
    const m4 = decodePlainMessage(STRONGSWAN_MM4);
    if (!m4.ok) return;
    expect(payloadsOfKind(m4.value.payloads, 'nonce')[0]!.payload.data).toHaveLength(32);
    expect(payloadsOfKind(m4.value.payloads, 'nat-d')).toHaveLength(2);
  });

  it('the wrong-PSK answer is an encrypted INFORMATIONAL with a fresh message ID', () => {
    const h = decodeHeader(STRONGSWAN_BAD_PSK_NOTIFY);
    expect(h.ok).toBe(true);
    if (!h.ok) return;
    expect(h.value.exchangeType).toBe(ExchangeType.INFORMATIONAL);
    expect(h.value.flags & 1).toBe(1);
    expect(h.value.messageId).not.toBe(0);
  });
});
