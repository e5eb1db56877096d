import { md5 as nobleMd5 } from '@noble/hashes/legacy.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import { chapMd5Response } from '../../../core/ppp/auth/chap';
import { type LegacyPrimitives, loadLegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import {
  challengeHash,
  challengeResponse,
  clientMppeKeys,
  desKeyFrom7,
  formatAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  ntPasswordHash,
  stripDomain,
} from '../../../core/ppp/crypto/mschapv2';

// RFC 2759 §9.2 "Hash Example" (also the inputs of RFC 3079 §3.5.3).
const USER = 'User';
const PASSWORD = 'clientPass';
const AUTH_CHALLENGE = fromHex('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const PEER_CHALLENGE = fromHex('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
const CHALLENGE = fromHex('D0 2E 43 86 BC E9 12 26');
const PASSWORD_HASH = fromHex('44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE');
const NT_RESPONSE = fromHex('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF');
const PASSWORD_HASH_HASH = fromHex('41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F');
const AUTH_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';
// RFC 3079 §3.5.3
const MASTER_KEY = fromHex('FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31');
const SEND_START_KEY_128 = fromHex('8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB');

let p: LegacyPrimitives;
beforeAll(async () => {
  p = await loadLegacyPrimitives();
});

describe('MS-CHAPv2 (RFC 2759 §9.2 vectors)', () => {
  it('NtPasswordHash and HashNtPasswordHash', () => {
    expect(toHex(ntPasswordHash(p, PASSWORD))).toBe(toHex(PASSWORD_HASH));
    expect(toHex(hashNtPasswordHash(p, PASSWORD_HASH))).toBe(toHex(PASSWORD_HASH_HASH));
  });

  it('ChallengeHash, ignoring a DOMAIN\\ prefix', () => {
    expect(toHex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER))).toBe(toHex(CHALLENGE));
    expect(toHex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, 'CORP\\User'))).toBe(toHex(CHALLENGE));
    expect(stripDomain('a\\b\\User')).toBe('User');
  });

  it('ChallengeResponse and GenerateNTResponse', () => {
    expect(toHex(challengeResponse(p, CHALLENGE, PASSWORD_HASH))).toBe(toHex(NT_RESPONSE));
    expect(toHex(generateNtResponse(p, AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD_HASH))).toBe(
      toHex(NT_RESPONSE),
    );
  });

  it('GenerateAuthenticatorResponse', () => {
    const r = generateAuthenticatorResponse(
      p,
      PASSWORD_HASH,
      NT_RESPONSE,
      PEER_CHALLENGE,
      AUTH_CHALLENGE,
      USER,
    );
    expect(formatAuthenticatorResponse(r)).toBe(AUTH_RESPONSE);
  });

  it('DES key expansion spreads 7 bytes over 8 with bit 0 clear', () => {
    // 56 one-bits → every output byte 0xfe; a single leading one-bit → 0x80 in the first byte.
    expect(toHex(desKeyFrom7(new Uint8Array(7).fill(0xff)))).toBe('fefefefefefefefe');
    expect(toHex(desKeyFrom7(Uint8Array.of(0x80, 0, 0, 0, 0, 0, 0)))).toBe('8000000000000000');
    expect(toHex(desKeyFrom7(Uint8Array.of(0, 0, 0, 0, 0, 0, 1)))).toBe('0000000000000002');
  });

  it('DES single-block encryption matches the classic FIPS 81 example', () => {
    // Key 0123456789ABCDEF, plaintext "Now is t" → 3FA40E8A984D4815.
    const out = p.desEncryptBlock(
      fromHex('0123456789ABCDEF'),
      new Uint8Array(Buffer.from('Now is t', 'latin1')),
    );
    expect(toHex(out)).toBe('3fa40e8a984d4815');
  });
});

describe('MPPE key derivation (RFC 3079 §3.5.3 vectors)', () => {
  it('GetMasterKey and the 128-bit start keys', () => {
    const master = mppeMasterKey(PASSWORD_HASH_HASH, NT_RESPONSE);
    expect(toHex(master)).toBe(toHex(MASTER_KEY));
    // The RFC's SendStartKey128 is the server's send key = the client's receive key.
    expect(toHex(mppeAsymmetricStartKey(master, 16, true, true))).toBe(toHex(SEND_START_KEY_128));
    expect(toHex(mppeAsymmetricStartKey(master, 16, false, false))).toBe(toHex(SEND_START_KEY_128));
    const keys = clientMppeKeys(p, PASSWORD_HASH, NT_RESPONSE);
    expect(toHex(keys.receive)).toBe(toHex(SEND_START_KEY_128));
    expect(toHex(keys.send)).toBe(toHex(mppeAsymmetricStartKey(master, 16, false, true)));
    expect(toHex(keys.send)).not.toBe(toHex(keys.receive));
  });
});

describe('CHAP-MD5 (RFC 1994 §4.1) and EAP MD5-Challenge (RFC 3748 §5.4)', () => {
  it('Response = MD5(Identifier | secret | Challenge), checked against an independent MD5', () => {
    const challenge = fromHex('0102030405060708090a0b0c0d0e0f10');
    // Hand-built message: id 0x2a, secret "s3cret" (73 33 63 72 65 74), then the challenge.
    const message = fromHex('2a 733363726574 0102030405060708090a0b0c0d0e0f10');
    expect(toHex(chapMd5Response(0x2a, 's3cret', challenge))).toBe(toHex(nobleMd5(message)));
    expect(toHex(chapMd5Response(0x2b, 's3cret', challenge))).not.toBe(toHex(nobleMd5(message)));
  });

  it('a UTF-8 secret is hashed as its UTF-8 bytes', () => {
    const challenge = Uint8Array.of(9, 9, 9);
    const message = Uint8Array.from([7, ...Buffer.from('pässwörd', 'utf8'), 9, 9, 9]);
    expect(toHex(chapMd5Response(7, 'pässwörd', challenge))).toBe(toHex(nobleMd5(message)));
  });
});
