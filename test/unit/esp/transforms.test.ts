import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { createEspSuite } from '../../../core/esp/suite';
import {
  allEspTransforms,
  describeTransform,
  type EspTransform,
  espKeyLengths,
  espTransformFromIke,
  espTransformFromProposal,
  espTransformToIke,
  splitKeymat,
  transformLayout,
} from '../../../core/esp/transforms';
import { DEFAULT_PHASE2, LEGACY_PHASE2, parsePhase2 } from '../../../core/profile/algorithms';
import { bytes, hex } from './helpers';

describe('IKEv1 transform vocabulary (RFC 2407 §4.4.4, §4.5)', () => {
  it('uses the IANA numbers for transform IDs and authentication algorithms', () => {
    expect(espTransformToIke({ cipher: 'aes-gcm-16', keyBits: 256 })).toEqual({
      transformId: 20,
      keyLength: 256,
    });
    expect(espTransformToIke({ cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' })).toEqual({
      transformId: 12,
      keyLength: 128,
      authAlgorithm: 2,
    });
    expect(espTransformToIke({ cipher: '3des-cbc', integrity: 'hmac-md5-96' })).toEqual({
      transformId: 3,
      authAlgorithm: 1,
    });
    const auth = (integrity: 'hmac-sha256-128' | 'hmac-sha384-192' | 'hmac-sha512-256') =>
      espTransformToIke({ cipher: 'aes-cbc', keyBits: 256, integrity }).authAlgorithm;
    expect([auth('hmac-sha256-128'), auth('hmac-sha384-192'), auth('hmac-sha512-256')]).toEqual([5, 6, 7]);
  });

  it('round-trips every transform through Quick Mode attributes', () => {
    for (const t of allEspTransforms())
      expect(espTransformFromIke(espTransformToIke(t))).toEqual({ ok: true, value: t });
  });

  it('refuses what it does not implement, naming the registered algorithm', () => {
    const gcm8 = espTransformFromIke({ transformId: 18, keyLength: 128 });
    expect(gcm8.ok || gcm8.error).toEqual({
      code: 'unsupported-cipher',
      message: expect.stringContaining('ESP_AES_GCM_8'),
    });
    const xcbc = espTransformFromIke({ transformId: 12, keyLength: 128, authAlgorithm: 9 });
    expect(xcbc.ok || xcbc.error.code).toBe('unsupported-integrity');
    expect(xcbc.ok || xcbc.error.message).toContain('AES-XCBC-MAC');
    const noAuth = espTransformFromIke({ transformId: 12, keyLength: 256 });
    expect(noAuth.ok || noAuth.error.code).toBe('missing-integrity');
    const badLen = espTransformFromIke({ transformId: 12, keyLength: 160, authAlgorithm: 2 });
    expect(badLen.ok || badLen.error.code).toBe('bad-key-length');
    const bad3des = espTransformFromIke({ transformId: 3, keyLength: 128, authAlgorithm: 2 });
    expect(bad3des.ok || bad3des.error.code).toBe('bad-key-length');
  });

  it('reads a missing AES key length as 128 bits and ignores an auth attribute sent with GCM', () => {
    expect(espTransformFromIke({ transformId: 12, authAlgorithm: 5 })).toEqual({
      ok: true,
      value: { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha256-128' },
    });
    expect(espTransformFromIke({ transformId: 20, keyLength: 256, authAlgorithm: 5 })).toEqual({
      ok: true,
      value: { cipher: 'aes-gcm-16', keyBits: 256 },
    });
  });
});

describe('keying material (RFC 2409 §5.5, RFC 4106 §8.1)', () => {
  it('needs encryption key then authentication key for CBC, key then 4-byte salt for GCM', () => {
    expect(espKeyLengths({ cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' })).toEqual({
      encKey: 32,
      salt: 0,
      authKey: 32,
      total: 64,
    });
    expect(espKeyLengths({ cipher: 'aes-gcm-16', keyBits: 128 }).total).toBe(20);
    expect(espKeyLengths({ cipher: '3des-cbc', integrity: 'hmac-sha1-96' }).total).toBe(44);
    expect(espKeyLengths({ cipher: 'aes-cbc', keyBits: 192, integrity: 'hmac-sha512-256' }).total).toBe(
      24 + 64,
    );
  });

  it('splits KEYMAT in that order and ignores surplus bytes', () => {
    const km = bytes(80);
    const cbc = splitKeymat({ cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' }, km);
    expect(cbc.ok && [hex(cbc.value.encKey), hex(cbc.value.authKey!)]).toEqual([
      hex(km.subarray(0, 16)),
      hex(km.subarray(16, 36)),
    ]);
    const gcm = splitKeymat({ cipher: 'aes-gcm-16', keyBits: 256 }, km);
    expect(gcm.ok && [hex(gcm.value.encKey), hex(gcm.value.salt!), gcm.value.authKey]).toEqual([
      hex(km.subarray(0, 32)),
      hex(km.subarray(32, 36)),
      undefined,
    ]);
    const short = splitKeymat({ cipher: 'aes-gcm-16', keyBits: 256 }, km.subarray(0, 35));
    expect(short.ok || short.error).toContain('needs 36');
  });

  it('refuses wrong key lengths with a FerryError that contains no key bytes', () => {
    const t: EspTransform = { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' };
    const encKey = bytes(16, 99);
    let thrown: unknown;
    try {
      createEspSuite(t, { encKey, authKey: bytes(32) });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(FerryError);
    const fe = thrown as FerryError;
    expect([fe.phase, fe.code]).toEqual(['quick-mode', 'esp-bad-keys']);
    expect(JSON.stringify(fe.toJSON())).not.toContain(hex(encKey).slice(0, 8));
  });

  it('refuses 3DES from the portable provider, which has no DES', () => {
    const t: EspTransform = { cipher: '3des-cbc', integrity: 'hmac-sha1-96' };
    expect(() =>
      createEspSuite(t, { encKey: bytes(24), authKey: bytes(20) }, { provider: 'portable' }),
    ).toThrow(expect.objectContaining({ code: 'esp-unsupported-transform' }));
  });
});

describe('profile proposals and layout', () => {
  it('maps every default and legacy phase-2 proposal of the profile to a transform', () => {
    const names = [...DEFAULT_PHASE2, ...LEGACY_PHASE2].map((s) => {
      const p = parsePhase2(s);
      const t = p && espTransformFromProposal(p);
      return t && describeTransform(t);
    });
    expect(names).toEqual([...DEFAULT_PHASE2, ...LEGACY_PHASE2]);
  });

  it('knows IV, block, alignment and ICV sizes (RFC 3602, 2451, 4106, 4868)', () => {
    expect(transformLayout({ cipher: 'aes-gcm-16', keyBits: 128 })).toEqual({
      ivLength: 8,
      cipherBlockSize: 1,
      alignment: 4,
      icvLength: 16,
    });
    expect(transformLayout({ cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha384-192' })).toEqual({
      ivLength: 16,
      cipherBlockSize: 16,
      alignment: 16,
      icvLength: 24,
    });
    expect(transformLayout({ cipher: '3des-cbc', integrity: 'hmac-sha512-256' })).toEqual({
      ivLength: 8,
      cipherBlockSize: 8,
      alignment: 8,
      icvLength: 32,
    });
  });
});
