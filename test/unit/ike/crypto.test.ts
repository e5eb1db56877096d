import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import { createRequire } from 'node:module';
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../core/common/bytes';
import { CIPHERS, cbcDecrypt, cbcEncrypt } from '../../../core/ike/crypto/cipher';
import { DH_GROUPS, generateDhKeyPair, keLength, MODP_PRIMES_HEX } from '../../../core/ike/crypto/dh';
import { digest, HASH_ALGORITHMS, type HashAlgorithm, prf } from '../../../core/ike/crypto/hash';
import { IvStore } from '../../../core/ike/crypto/ivs';
import {
  derivePhase1Keys,
  exchangeInitialIv,
  expandEncryptionKey,
  hashI,
  hashR,
  informationalHash,
  phase1InitialIv,
  skeyidPsk,
} from '../../../core/ike/crypto/keys';
import { decryptMessage, encryptMessage } from '../../../core/ike/crypto/protect';
import { decodeHeader } from '../../../core/ike/message';
import { natDetectionHash } from '../../../core/ike/natDetection';
import { KE_VECTORS } from './support/keVectors';

const NOBLE = { md5, sha1, sha256, sha384, sha512 } as const;
const nHash = (alg: HashAlgorithm, ...parts: Uint8Array[]) => NOBLE[alg](concatBytes(...parts));
const nPrf = (alg: HashAlgorithm, key: Uint8Array, ...parts: Uint8Array[]) =>
  hmac(NOBLE[alg], key, concatBytes(...parts));
const bytesArb = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('MODP groups (RFC 2409 §6, RFC 3526)', () => {
  /** floor(2^bits * pi) by Machin's formula in fixed point, independent of any library. */
  function piScaled(bits: number): bigint {
    const guard = 64n;
    const one = 1n << (BigInt(bits) + guard);
    const atanInv = (x: bigint) => {
      let sum = 0n;
      let term = one / x;
      const x2 = x * x;
      for (let k = 0n; term !== 0n; k++) {
        sum += (k % 2n === 0n ? 1n : -1n) * (term / (2n * k + 1n));
        term /= x2;
      }
      return sum;
    };
    return (16n * atanInv(5n) - 4n * atanInv(239n)) >> guard;
  }

  const FORMULA: Record<keyof typeof MODP_PRIMES_HEX, [number, bigint, string]> = {
    modp768: [768, 149686n, 'modp1'],
    modp1024: [1024, 129093n, 'modp2'],
    modp1536: [1536, 741804n, 'modp5'],
    modp2048: [2048, 124476n, 'modp14'],
    modp3072: [3072, 1690314n, 'modp15'],
    modp4096: [4096, 240904n, 'modp16'],
  };

  for (const [g, [n, k, nodeName]] of Object.entries(FORMULA)) {
    it(`${g} = 2^${n} - 2^${n - 64} - 1 + 2^64 * ([2^${n - 130} pi] + ${k}), as node:crypto's ${nodeName}`, () => {
      const N = BigInt(n);
      const p = (1n << N) - (1n << (N - 64n)) - 1n + (1n << 64n) * (piScaled(n - 130) + k);
      const ours = MODP_PRIMES_HEX[g as keyof typeof MODP_PRIMES_HEX].toLowerCase();
      expect(ours).toBe(p.toString(16));
      expect(ours).toBe(getDiffieHellman(nodeName).getPrime('hex'));
    });
  }
});

describe('Diffie-Hellman known answers (strongSwan test vectors; ECP from RFC 5114 §A.6/A.7, same curves as RFC 5903)', () => {
  for (const v of KE_VECTORS) {
    it(`${v.group}: public values and shared secret`, () => {
      const i = generateDhKeyPair(v.group, () => fromHex(v.privI));
      const r = generateDhKeyPair(v.group, () => fromHex(v.privR));
      expect(toHex(i.publicValue)).toBe(v.pubI);
      expect(toHex(r.publicValue)).toBe(v.pubR);
      expect(i.publicValue).toHaveLength(keLength(v.group));
      expect(toHex(i.computeShared(fromHex(v.pubR))!)).toBe(v.shared);
      expect(toHex(r.computeShared(fromHex(v.pubI))!)).toBe(v.shared);
      // RFC 5903 §7: the ECP shared secret is x only, half the KE length.
      if (v.group.startsWith('ecp')) expect(v.shared.length / 2).toBe(keLength(v.group) / 2);
    });
  }

  it('pads MODP values with leading zeros to the prime length', () => {
    // A private exponent giving a public value with a leading zero byte: search a few deterministic seeds.
    const p = MODP_PRIMES_HEX.modp768;
    for (let s = 1; s < 2000; s++) {
      const priv = new Uint8Array(32);
      new DataView(priv.buffer).setUint32(28, s);
      const dh = createDiffieHellman(Buffer.from(p, 'hex'), 2);
      dh.setPrivateKey(Buffer.from(priv));
      const raw = dh.generateKeys();
      if (raw.length < 96) {
        const ours = generateDhKeyPair('modp768', () => priv);
        expect(ours.publicValue).toHaveLength(96);
        expect(toHex(ours.publicValue)).toBe(toHex(raw).padStart(192, '0'));
        return;
      }
    }
    throw new Error('no short public value found');
  });

  it('rejects invalid peer values instead of throwing', () => {
    let n = 0;
    const rnd = (len: number) => Uint8Array.from({ length: len }, () => (n++ * 13 + 5) & 0xff);
    const modp = generateDhKeyPair('modp2048', rnd);
    const p = BigInt(`0x${MODP_PRIMES_HEX.modp2048}`);
    const be = (x: bigint) => fromHex(x.toString(16).padStart(512, '0'));
    expect(modp.computeShared(new Uint8Array(255))).toBeNull();
    expect(modp.computeShared(be(0n))).toBeNull();
    expect(modp.computeShared(be(1n))).toBeNull();
    expect(modp.computeShared(be(p - 1n))).toBeNull();
    expect(modp.computeShared(be(p))).toBeNull();
    expect(modp.computeShared(be(2n))).not.toBeNull();
    // A value sent without its leading zero bytes (SoftEther) is the same number: same secret; longer is refused.
    const y = 3n ** 1200n % p;
    const full = be(y);
    const stripped = full.subarray(full.findIndex((b) => b !== 0));
    expect(stripped.length).toBeLessThan(256);
    expect(toHex(modp.computeShared(stripped)!)).toBe(toHex(modp.computeShared(full)!));
    expect(modp.computeShared(Uint8Array.from([0, ...full]))).toBeNull();
    const ecp = generateDhKeyPair('ecp256', rnd);
    expect(ecp.computeShared(new Uint8Array(64))).toBeNull();
    expect(ecp.computeShared(new Uint8Array(65))).toBeNull();
    const offCurve = ecp.publicValue.slice();
    offCurve[63]! ^= 1;
    expect(ecp.computeShared(offCurve)).toBeNull();
  });

  it('agrees between two fresh key pairs for every group', () => {
    let c = 1;
    const rnd = (len: number) =>
      Uint8Array.from({ length: len }, () => {
        c = (c * 75 + 74) % 65537;
        return c & 0xff;
      });
    for (const g of DH_GROUPS) {
      const a = generateDhKeyPair(g, rnd);
      const b = generateDhKeyPair(g, rnd);
      expect(toHex(a.computeShared(b.publicValue)!)).toBe(toHex(b.computeShared(a.publicValue)!));
    }
  });
});

describe('hash, PRF and phase-1 derivations against @noble/hashes', () => {
  it.each(HASH_ALGORITHMS)('%s: digest and HMAC', (alg) => {
    fc.assert(
      fc.property(bytesArb(0, 200), bytesArb(0, 200), (key, data) => {
        expect(toHex(digest(alg, data))).toBe(toHex(nHash(alg, data)));
        expect(toHex(prf(alg, key, data.subarray(0, 7), data.subarray(7)))).toBe(toHex(nPrf(alg, key, data)));
      }),
      { numRuns: 50 },
    );
  });

  it('HMAC-SHA-256 RFC 4231 test case 2', () => {
    expect(
      toHex(
        prf(
          'sha256',
          new TextEncoder().encode('Jefe'),
          new TextEncoder().encode('what do ya want for nothing?'),
        ),
      ),
    ).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  /** RFC 2409 §5 and App. B written out again with @noble as the oracle. */
  function oracle(
    alg: HashAlgorithm,
    psk: Uint8Array,
    ni: Uint8Array,
    nr: Uint8Array,
    gxy: Uint8Array,
    ci: Uint8Array,
    cr: Uint8Array,
    keyLen: number,
  ) {
    const skeyid = nPrf(alg, psk, ni, nr);
    const d = nPrf(alg, skeyid, gxy, ci, cr, Uint8Array.of(0));
    const a = nPrf(alg, skeyid, d, gxy, ci, cr, Uint8Array.of(1));
    const e = nPrf(alg, skeyid, a, gxy, ci, cr, Uint8Array.of(2));
    let ka: Uint8Array = new Uint8Array(0);
    if (e.length >= keyLen) ka = e.slice(0, keyLen);
    else {
      let k = nPrf(alg, e, Uint8Array.of(0));
      ka = k;
      while (ka.length < keyLen) {
        k = nPrf(alg, e, k);
        ka = concatBytes(ka, k);
      }
      ka = ka.slice(0, keyLen);
    }
    return { skeyid, d, a, e, ka };
  }

  for (const alg of HASH_ALGORITHMS) {
    for (const keyLen of [16, 24, 32]) {
      it(`${alg}: SKEYID, SKEYID_d/a/e and a ${keyLen}-byte cipher key`, () => {
        fc.assert(
          fc.property(
            bytesArb(1, 64),
            bytesArb(8, 64),
            bytesArb(8, 64),
            bytesArb(32, 512),
            bytesArb(8, 8),
            bytesArb(8, 8),
            (psk, ni, nr, gxy, ci, cr) => {
              const o = oracle(alg, psk, ni, nr, gxy, ci, cr, keyLen);
              const skeyid = skeyidPsk(alg, psk, ni, nr);
              const k = derivePhase1Keys(alg, skeyid, gxy, ci, cr, keyLen);
              expect(toHex(k.skeyid)).toBe(toHex(o.skeyid));
              expect(toHex(k.skeyidD)).toBe(toHex(o.d));
              expect(toHex(k.skeyidA)).toBe(toHex(o.a));
              expect(toHex(k.skeyidE)).toBe(toHex(o.e));
              expect(toHex(k.encryptionKey)).toBe(toHex(o.ka));
            },
          ),
          { numRuns: 20 },
        );
      });
    }
  }

  it('expands SKEYID_e only when it is too short (RFC 2409 App. B)', () => {
    const e20 = new Uint8Array(20).fill(0x5a);
    const k = expandEncryptionKey('sha1', e20, 32);
    const k1 = nPrf('sha1', e20, Uint8Array.of(0));
    const k2 = nPrf('sha1', e20, k1);
    expect(toHex(k)).toBe(toHex(concatBytes(k1, k2).slice(0, 32)));
    expect(toHex(expandEncryptionKey('sha256', new Uint8Array(32).fill(1), 32))).toBe('01'.repeat(32));
    expect(expandEncryptionKey('md5', new Uint8Array(16).fill(2), 24)).toHaveLength(24);
  });

  it('IVs: hash(g^xi | g^xr) for phase 1, hash(last block | M-ID) per exchange', () => {
    const gxi = fromHex('11'.repeat(256));
    const gxr = fromHex('22'.repeat(256));
    expect(toHex(phase1InitialIv('sha256', gxi, gxr, 16))).toBe(
      toHex(nHash('sha256', gxi, gxr).slice(0, 16)),
    );
    expect(toHex(phase1InitialIv('md5', gxi, gxr, 8))).toBe(toHex(nHash('md5', gxi, gxr).slice(0, 8)));
    const last = fromHex('33'.repeat(16));
    expect(toHex(exchangeInitialIv('sha1', last, 0xdeadbeef, 16))).toBe(
      toHex(nHash('sha1', last, fromHex('deadbeef')).slice(0, 16)),
    );
  });

  it('HASH_I, HASH_R and informational HASH(1) (RFC 2409 §5, §5.7)', () => {
    const p = {
      gxi: fromHex('01'.repeat(32)),
      gxr: fromHex('02'.repeat(32)),
      ckyI: fromHex('0303030303030303'),
      ckyR: fromHex('0404040404040404'),
      saiB: fromHex('0000000100000001'),
    };
    const skeyid = fromHex('05'.repeat(32));
    const idB = fromHex('0100000000000000');
    expect(toHex(hashI('sha256', skeyid, { ...p, idiiB: idB }))).toBe(
      toHex(nPrf('sha256', skeyid, p.gxi, p.gxr, p.ckyI, p.ckyR, p.saiB, idB)),
    );
    expect(toHex(hashR('sha256', skeyid, { ...p, idirB: idB }))).toBe(
      toHex(nPrf('sha256', skeyid, p.gxr, p.gxi, p.ckyR, p.ckyI, p.saiB, idB)),
    );
    expect(toHex(informationalHash('sha1', skeyid, 7, idB))).toBe(
      toHex(nPrf('sha1', skeyid, fromHex('00000007'), idB)),
    );
  });

  it('NAT-D = HASH(CKY-I | CKY-R | IP | Port) (RFC 3947 §3.2)', () => {
    const ci = fromHex('0102030405060708');
    const cr = fromHex('1112131415161718');
    expect(toHex(natDetectionHash('sha1', ci, cr, '10.99.0.1', 500))).toBe(
      toHex(nHash('sha1', ci, cr, fromHex('0a630001'), fromHex('01f4'))),
    );
  });
});

interface DesCipher {
  update(data: number[]): number[];
  final(): number[];
}
interface DesJs {
  readonly EDE: unknown;
  readonly CBC: {
    instantiate(base: unknown): {
      create(o: { type: 'encrypt'; key: number[]; iv: number[]; padding: boolean }): DesCipher;
    };
  };
}
const des = createRequire(import.meta.url)('des.js') as DesJs;

describe('phase-1 ciphers against @noble/ciphers and des.js', () => {
  it.each(['aes128', 'aes192', 'aes256'] as const)('%s-cbc', (alg) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer(), (blocks, seed) => {
        const b = (n: number, s: number) =>
          Uint8Array.from({ length: n }, (_, i) => (seed + s + i * 31) & 0xff);
        const key = b(CIPHERS[alg].keyLength, 1);
        const iv = b(16, 2);
        const pt = b(blocks * 16, 3);
        const ct = cbcEncrypt(alg, key, iv, pt);
        expect(toHex(ct)).toBe(toHex(cbc(key, iv, { disablePadding: true }).encrypt(pt)));
        expect(toHex(cbcDecrypt(alg, key, iv, ct))).toBe(toHex(pt));
      }),
      { numRuns: 30 },
    );
  });

  it('3des-cbc', () => {
    const key = Uint8Array.from({ length: 24 }, (_, i) => i * 7 + 1);
    const iv = Uint8Array.from({ length: 8 }, (_, i) => 0xf0 - i);
    const pt = Uint8Array.from({ length: 48 }, (_, i) => i);
    const oracleCt = des.CBC.instantiate(des.EDE).create({
      type: 'encrypt',
      key: [...key],
      iv: [...iv],
      padding: false,
    });
    const expected = [...oracleCt.update([...pt]), ...oracleCt.final()];
    const ct = cbcEncrypt('3des', key, iv, pt);
    expect([...ct]).toEqual(expected);
    expect(toHex(cbcDecrypt('3des', key, iv, ct))).toBe(toHex(pt));
  });

  it('refuses partial blocks and wrong key/IV sizes', () => {
    expect(() => cbcEncrypt('aes128', new Uint8Array(16), new Uint8Array(16), new Uint8Array(15))).toThrow();
    expect(() => cbcEncrypt('aes128', new Uint8Array(15), new Uint8Array(16), new Uint8Array(16))).toThrow();
    expect(() => cbcEncrypt('3des', new Uint8Array(24), new Uint8Array(16), new Uint8Array(16))).toThrow();
  });
});

describe('encrypted messages and IV chaining (RFC 2409 App. B)', () => {
  const ctx = { cipher: 'aes128' as const, key: fromHex('000102030405060708090a0b0c0d0e0f') };
  const hdr = {
    initiatorCookie: fromHex('0102030405060708'),
    responderCookie: fromHex('1112131415161718'),
    exchangeType: 2,
    flags: 0,
    messageId: 0,
  };

  it('pads with zeros to the block size, sets the E flag and the total length, and decrypts', () => {
    const iv = new Uint8Array(16).fill(9);
    const out = encryptMessage(ctx, hdr, [{ kind: 'hash', data: new Uint8Array(20).fill(7) }], iv);
    // 24-byte chain -> 32 bytes of ciphertext; strongSwan-style padding is always at least one byte.
    expect(out.bytes).toHaveLength(28 + 32);
    expect(out.bytes[19]! & 1).toBe(1);
    expect(toHex(out.lastBlock)).toBe(toHex(out.bytes.subarray(out.bytes.length - 16)));
    const plain = cbc(ctx.key, iv, { disablePadding: true }).decrypt(out.bytes.subarray(28));
    expect(toHex(plain.subarray(24))).toBe('00'.repeat(8));
    const h = decodeHeader(out.bytes);
    expect(h.ok).toBe(true);
    if (!h.ok) return;
    expect(h.value.length).toBe(60);
    const dec = decryptMessage(ctx, out.bytes, h.value, iv);
    expect(dec.ok && dec.value.payloads[0]!.payload).toEqual({
      kind: 'hash',
      data: new Uint8Array(20).fill(7),
    });
    const wrong = decryptMessage({ ...ctx, key: new Uint8Array(16) }, out.bytes, h.value, iv);
    expect(wrong.ok).toBe(false);
  });

  it('IvStore chains phase 1, derives each exchange from the last phase-1 block, and forgets', () => {
    const s = new IvStore('sha1', 16, new Uint8Array(16).fill(1));
    expect(toHex(s.current(0))).toBe('01'.repeat(16));
    s.advance(0, new Uint8Array(16).fill(2));
    const mid = 0x01020304;
    const first = s.current(mid);
    expect(toHex(first)).toBe(
      toHex(nHash('sha1', new Uint8Array(16).fill(2), fromHex('01020304')).slice(0, 16)),
    );
    s.advance(mid, new Uint8Array(16).fill(3));
    expect(toHex(s.current(mid))).toBe('03'.repeat(16));
    expect(toHex(s.current(0))).toBe('02'.repeat(16));
    s.forget(mid);
    expect(toHex(s.current(mid))).toBe(toHex(first));
    for (let i = 1; i <= 40; i++) s.current(1000 + i);
    expect(toHex(s.current(mid))).toBe(toHex(first));
  });
});
