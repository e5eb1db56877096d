import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import { decodeChapPacket, encodeChapPacket } from '../../../core/ppp/auth/chapPacket';
import {
  decodeEapMd5,
  decodeEapMsChapV2Request,
  decodeEapPacket,
  encodeEapMsChapV2Response,
  encodeEapPacket,
} from '../../../core/ppp/auth/eapPacket';
import { decodeMsChapFailure, decodeMsChapSuccess } from '../../../core/ppp/auth/mschapMessages';
import { decodePapPacket, encodePapReply, encodePapRequest } from '../../../core/ppp/auth/papPacket';
import { fuzzDecoder } from '../../support/fuzz';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('PAP packets (RFC 1334 §2.2)', () => {
  it('round-trips a request and decodes Ack/Nak messages', () => {
    const req = encodePapRequest(1, ascii('alice'), ascii('pw1'));
    expect(toHex(req)).toBe('0101000e05616c69636503707731');
    const d = decodePapPacket(req);
    expect(d.ok && d.value.code === 1 && Buffer.from(d.value.peerId).toString()).toBe('alice');
    const ack = decodePapPacket(encodePapReply(2, 1, ascii('Welcome')));
    expect(ack.ok && ack.value.code === 2 && Buffer.from(ack.value.message).toString()).toBe('Welcome');
    const bare = decodePapPacket(fromHex('02010004'));
    expect(bare.ok && bare.value.code).toBe(2);
  });

  it('fuzz', () => {
    fuzzDecoder('decodePapPacket', decodePapPacket, [
      encodePapRequest(1, ascii('alice'), ascii('x')),
      encodePapReply(3, 2, ascii('Login incorrect')),
    ]);
  });
});

describe('CHAP packets (RFC 1994 §4)', () => {
  it('round-trips Challenge/Response and Success/Failure', () => {
    const ch = { code: 1 as const, id: 7, value: new Uint8Array(16).fill(0xab), name: ascii('vpn') };
    const bytes = encodeChapPacket(ch);
    const d = decodeChapPacket(bytes);
    expect(
      d.ok && d.value.code === 1 && [d.value.id, toHex(d.value.value), Buffer.from(d.value.name).toString()],
    ).toEqual([7, 'ab'.repeat(16), 'vpn']);
    const s = decodeChapPacket(encodeChapPacket({ code: 3, id: 7, message: ascii('S=00 M=ok') }));
    expect(s.ok && s.value.code === 3 && Buffer.from(s.value.message).toString()).toBe('S=00 M=ok');
    expect(decodeChapPacket(fromHex('0101000500')).ok).toBe(false); // value-size 0
    expect(decodeChapPacket(fromHex('09010004')).ok).toBe(false); // unknown code
  });

  it('fuzz', () => {
    fuzzDecoder('decodeChapPacket', decodeChapPacket, [
      encodeChapPacket({ code: 1, id: 1, value: new Uint8Array(16), name: ascii('srv') }),
      encodeChapPacket({
        code: 4,
        id: 1,
        message: ascii('E=691 R=0 C=00112233445566778899aabbccddeeff V=3 M=x'),
      }),
    ]);
  });
});

describe('EAP packets (RFC 3748 §4) and EAP-MSCHAPv2 type data', () => {
  it('round-trips Request/Response and Success/Failure', () => {
    const req = encodeEapPacket({ code: 1, id: 3, type: 1, typeData: ascii('hello') });
    expect(toHex(req)).toBe('0103000a0168656c6c6f');
    const d = decodeEapPacket(req);
    expect(d.ok && d.value.code === 1 && [d.value.type, Buffer.from(d.value.typeData).toString()]).toEqual([
      1,
      'hello',
    ]);
    expect(toHex(encodeEapPacket({ code: 3, id: 9 }))).toBe('03090004');
    expect(decodeEapPacket(fromHex('01090004')).ok).toBe(false); // Request without type
  });

  it('decodes an EAP-MSCHAPv2 Challenge (MS-Length = EAP Length − 5) and encodes a Response', () => {
    const challenge = new Uint8Array(16).fill(0x11);
    const typeData = Uint8Array.from([1, 0x42, 0, 4 + 1 + 16 + 3, 16, ...challenge, ...ascii('srv')]);
    const d = decodeEapMsChapV2Request(typeData);
    expect(
      d.ok &&
        d.value.op === 1 && [d.value.msId, toHex(d.value.challenge), Buffer.from(d.value.name).toString()],
    ).toEqual([0x42, '11'.repeat(16), 'srv']);
    const resp = encodeEapMsChapV2Response(0x42, new Uint8Array(49), ascii('alice'));
    expect([resp[0], resp[1], (resp[2]! << 8) | resp[3]!, resp[4]]).toEqual([2, 0x42, resp.length, 49]);
    const ok = decodeEapMsChapV2Request(Uint8Array.from([3, 0x42, 0, 8, ...ascii('S=ab')]));
    expect(ok.ok && ok.value.op === 3 && Buffer.from(ok.value.message).toString()).toBe('S=ab');
  });

  it('decodes an MD5-Challenge', () => {
    const d = decodeEapMd5(fromHex('04 01020304 737276'));
    expect(d.ok && [toHex(d.value.value), Buffer.from(d.value.name).toString()]).toEqual(['01020304', 'srv']);
  });

  it('fuzz', () => {
    fuzzDecoder('decodeEapPacket', decodeEapPacket, [
      encodeEapPacket({ code: 1, id: 1, type: 26, typeData: new Uint8Array(30) }),
      encodeEapPacket({ code: 4, id: 1 }),
    ]);
    fuzzDecoder('decodeEapMsChapV2Request', decodeEapMsChapV2Request, [
      Uint8Array.from([1, 1, 0, 24, 16, ...new Uint8Array(16), 1, 2, 3]),
      Uint8Array.from([4, 1, 0, 13, ...ascii('E=691 R=0')]),
    ]);
    fuzzDecoder('decodeEapMd5', decodeEapMd5, [fromHex(`10${'00'.repeat(16)}6162`)]);
  });
});

describe('MS-CHAPv2 Success and Failure messages (RFC 2759 §5–6)', () => {
  it('parses "S=… M=…" and a bare "S=…"', () => {
    const s = decodeMsChapSuccess(ascii('S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted'));
    expect(s.ok && [toHex(s.value.authenticatorResponse), s.value.message]).toEqual([
      '407a5589115fd0d6209f510fe9c04566932cda56',
      'Access granted',
    ]);
    const bare = decodeMsChapSuccess(ascii('S=407A5589115FD0D6209F510FE9C04566932CDA56'));
    expect(bare.ok && bare.value.message).toBe('');
    expect(decodeMsChapSuccess(ascii('S=407A55 M=short')).ok).toBe(false);
    expect(decodeMsChapSuccess(ascii('Welcome')).ok).toBe(false);
  });

  it('parses every field of a Failure', () => {
    const f = decodeMsChapFailure(
      ascii('E=648 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Password expired: change it now'),
    );
    expect(f.ok && f.value).toEqual({
      error: 648,
      retry: true,
      challenge: fromHex('00112233445566778899AABBCCDDEEFF'),
      version: 3,
      message: 'Password expired: change it now',
    });
    const minimal = decodeMsChapFailure(ascii('E=691 R=0'));
    expect(minimal.ok && [minimal.value.error, minimal.value.retry, minimal.value.challenge]).toEqual([
      691,
      false,
      null,
    ]);
    expect(decodeMsChapFailure(ascii('R=0 M=E=691')).ok).toBe(false);
  });

  it('fuzz', () => {
    fuzzDecoder('decodeMsChapSuccess', decodeMsChapSuccess, [
      ascii('S=407A5589115FD0D6209F510FE9C04566932CDA56 M=ok'),
    ]);
    fuzzDecoder('decodeMsChapFailure', decodeMsChapFailure, [
      ascii('E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failure'),
    ]);
  });
});
