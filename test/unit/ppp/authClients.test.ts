import { md5 as nobleMd5 } from '@noble/hashes/legacy.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import type { FerryError } from '../../../core/common/errors';
import { silentLogger } from '../../../core/common/log';
import { ChapClient } from '../../../core/ppp/auth/chap';
import { encodeChapPacket } from '../../../core/ppp/auth/chapPacket';
import { EapClient } from '../../../core/ppp/auth/eap';
import { encodeEapPacket } from '../../../core/ppp/auth/eapPacket';
import type { AuthContext, AuthSuccess } from '../../../core/ppp/auth/types';
import { type LegacyPrimitives, loadLegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import { FakeClock } from './helpers';

// RFC 2759 §9.2
const AUTH_CHALLENGE = fromHex('5B5D7C7D7B3F2F3E3C2C602132262628');
const PEER_CHALLENGE = fromHex('21402324255E262A28295F2B3A337C7E');
const NT_RESPONSE = '82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df';
const S = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

let primitives: LegacyPrimitives;
beforeAll(async () => {
  primitives = await loadLegacyPrimitives();
});

function ctx(
  username: string,
  password: string,
  allowed: AuthContext['allowed'] = ['mschapv2', 'eap', 'chap-md5'],
) {
  const sent: Uint8Array[] = [];
  const result: { ok?: AuthSuccess; err?: FerryError } = {};
  const c: AuthContext = {
    credentials: { username, password },
    allowed,
    primitives,
    random: (n) => PEER_CHALLENGE.slice(0, n),
    clock: new FakeClock(),
    logger: silentLogger,
    papRetransmitMs: 3000,
    send: (p) => sent.push(p),
    succeeded: (r) => {
      result.ok = r;
    },
    failed: (e) => {
      result.err = e;
    },
  };
  return { c, sent, result };
}

describe('MS-CHAPv2 client over CHAP reproduces RFC 2759 §9.2', () => {
  it('sends Peer-Challenge | 8 zero bytes | NT-Response | flags 0 with the full user name, and checks S=', () => {
    const { c, sent, result } = ctx('User', 'clientPass');
    const chap = new ChapClient(c, 'mschapv2');
    chap.receive(encodeChapPacket({ code: 1, id: 0x2f, value: AUTH_CHALLENGE, name: ascii('srv') }));
    const r = sent[0]!;
    expect([r[0], r[1], r[4]]).toEqual([2, 0x2f, 49]);
    const value = r.subarray(5, 54);
    expect(toHex(value.subarray(0, 16))).toBe(toHex(PEER_CHALLENGE));
    expect(toHex(value.subarray(16, 24))).toBe('00'.repeat(8));
    expect(toHex(value.subarray(24, 48))).toBe(NT_RESPONSE);
    expect(value[48]).toBe(0);
    expect(Buffer.from(r.subarray(54)).toString()).toBe('User');
    chap.receive(encodeChapPacket({ code: 3, id: 0x2f, message: ascii(`${S} M=Welcome`) }));
    expect(result).toEqual({ ok: { method: 'mschapv2', message: 'Welcome' } });
  });

  it('a retransmitted challenge gets the identical response; a Success for another id is ignored', () => {
    const { c, sent, result } = ctx('User', 'clientPass');
    const chap = new ChapClient(c, 'mschapv2');
    const challenge = encodeChapPacket({ code: 1, id: 5, value: AUTH_CHALLENGE, name: ascii('srv') });
    chap.receive(challenge);
    chap.receive(challenge);
    expect(sent.length).toBe(2);
    expect(toHex(sent[1]!)).toBe(toHex(sent[0]!));
    chap.receive(encodeChapPacket({ code: 3, id: 6, message: ascii(S) }));
    expect(result).toEqual({});
  });

  it('rejects a Success whose authenticator response is off by one bit', () => {
    const { c, result } = ctx('User', 'clientPass');
    const chap = new ChapClient(c, 'mschapv2');
    chap.receive(encodeChapPacket({ code: 1, id: 5, value: AUTH_CHALLENGE, name: ascii('srv') }));
    chap.receive(encodeChapPacket({ code: 3, id: 5, message: ascii(`${S.slice(0, -1)}7 M=ok`) }));
    expect(result.err?.code).toBe('server-not-authenticated');
    expect(result.ok).toBeUndefined();
  });
});

describe('EAP client', () => {
  it('answers Identity, then an MD5-Challenge with MD5(id | secret | challenge) (RFC 3748 §5.4)', () => {
    const { c, sent } = ctx('alice', 's3cret');
    const eap = new EapClient(c);
    eap.receive(encodeEapPacket({ code: 1, id: 1, type: 1, typeData: ascii('hi') }));
    expect(toHex(sent[0]!)).toBe(`0201000a01${toHex(ascii('alice'))}`);
    const challenge = fromHex('00112233445566778899aabbccddeeff');
    eap.receive(
      encodeEapPacket({ code: 1, id: 0x2a, type: 4, typeData: Uint8Array.from([16, ...challenge]) }),
    );
    const expected = nobleMd5(Uint8Array.from([0x2a, ...ascii('s3cret'), ...challenge]));
    // Response: code 2, id 0x2a, length, type 4, value-size 16, MD5 value, name.
    expect(toHex(sent[1]!)).toBe(`022a001b0410${toHex(expected)}${toHex(ascii('alice'))}`);
  });

  it('Naks EAP-TLS with its own types in preference order, and 0 when it has none (RFC 3748 §5.3.1)', () => {
    const a = ctx('alice', 's3cret');
    new EapClient(a.c).receive(encodeEapPacket({ code: 1, id: 3, type: 13, typeData: Uint8Array.of(0x20) }));
    expect(toHex(a.sent[0]!)).toBe('02030007031a04');
    const b = ctx('alice', 's3cret', ['eap']);
    new EapClient(b.c).receive(encodeEapPacket({ code: 1, id: 3, type: 13, typeData: Uint8Array.of(0x20) }));
    expect(toHex(b.sent[0]!)).toBe('02030006031a');
  });

  it('EAP-MSCHAPv2 reproduces the RFC 2759 NT-Response and acknowledges a verified Success', () => {
    const { c, sent, result } = ctx('User', 'clientPass');
    const eap = new EapClient(c);
    const typeData = Uint8Array.from([1, 0x33, 0, 24, 16, ...AUTH_CHALLENGE, ...ascii('srv')]);
    eap.receive(encodeEapPacket({ code: 1, id: 7, type: 26, typeData }));
    const r = sent[0]!;
    // EAP header (5) + OpCode 2, MS-CHAPv2-ID, MS-Length, Value-Size 49.
    expect([r[5], r[6], (r[7]! << 8) | r[8]!, r[9]]).toEqual([2, 0x33, r.length - 5, 49]);
    expect(toHex(r.subarray(10 + 24, 10 + 48))).toBe(NT_RESPONSE);
    const ok = ascii(S);
    eap.receive(
      encodeEapPacket({
        code: 1,
        id: 8,
        type: 26,
        typeData: Uint8Array.from([3, 0x33, 0, 4 + ok.length, ...ok]),
      }),
    );
    expect(toHex(sent[1]!)).toBe('020800061a03');
    expect(result).toEqual({});
    eap.receive(encodeEapPacket({ code: 3, id: 8 }));
    expect(result.ok?.method).toBe('eap-mschapv2');
  });

  it('EAP-Success before the EAP-MSCHAPv2 server proof is refused', () => {
    const { c, result } = ctx('User', 'clientPass');
    const eap = new EapClient(c);
    const typeData = Uint8Array.from([1, 1, 0, 21, 16, ...AUTH_CHALLENGE]);
    eap.receive(encodeEapPacket({ code: 1, id: 7, type: 26, typeData }));
    eap.receive(encodeEapPacket({ code: 3, id: 7 }));
    expect(result.err?.code).toBe('server-not-authenticated');
  });
});
