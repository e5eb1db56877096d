import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex } from '../../../../core/common/bytes';
import {
  allEspTransforms,
  describeTransform,
  espKeyLengths,
  splitKeymat,
} from '../../../../core/esp/transforms';
import { HASH_ALGORITHMS, HASH_LENGTH } from '../../../../core/ike/crypto/hash';
import {
  deriveKeymat,
  quickModeHash1,
  quickModeHash2,
  quickModeHash3,
} from '../../../../core/ike/quick/keymat';
import { seededRandom } from '../support/harness';
import { nobleHmac, oracleKeymat, u32 } from './support/oracle';

const rnd = seededRandom(99);

describe('Quick Mode KEYMAT and HASH(1..3) (RFC 2409 §5.5) against an independent noble implementation', () => {
  for (const alg of HASH_ALGORITHMS) {
    it(`KEYMAT with ${alg}, with and without PFS, every length up to 5 PRF blocks`, () => {
      const skeyidD = rnd(HASH_LENGTH[alg]);
      const ni = rnd(32);
      const nr = rnd(16);
      const gxy = rnd(256);
      for (let len = 1; len <= HASH_LENGTH[alg] * 5; len += 7) {
        for (const pfs of [null, gxy]) {
          const ours = deriveKeymat(alg, skeyidD, { protocol: 3, spi: 0xc0ffee01, ni, nr, gxy: pfs }, len);
          expect(Buffer.from(ours).toString('hex')).toBe(
            Buffer.from(oracleKeymat(alg, skeyidD, 0xc0ffee01, ni, nr, len, pfs)).toString('hex'),
          );
        }
      }
    });

    it(`HASH(1), HASH(2), HASH(3) with ${alg}`, () => {
      const a = rnd(HASH_LENGTH[alg]);
      const ni = rnd(24);
      const nr = rnd(16);
      const body = rnd(300);
      const mid = 0x9abcdef0;
      expect(quickModeHash1(alg, a, mid, body)).toEqual(nobleHmac(alg, a, u32(mid), body));
      expect(quickModeHash2(alg, a, mid, ni, body)).toEqual(nobleHmac(alg, a, u32(mid), ni, body));
      expect(quickModeHash3(alg, a, mid, ni, nr)).toEqual(
        nobleHmac(alg, a, Uint8Array.of(0), u32(mid), ni, nr),
      );
    });
  }

  it('the first KEYMAT block is prf(SKEYID_d, protocol | SPI | Ni_b | Nr_b), later ones chain', () => {
    // Hand-built vector: SHA1, SKEYID_d = 0x0b * 20, SPI 0x00000100, Ni = 00..07, Nr = 08..0f.
    const d = new Uint8Array(20).fill(0x0b);
    const ni = fromHex('0001020304050607');
    const nr = fromHex('08090a0b0c0d0e0f');
    const seed = concatBytes(Uint8Array.of(3), fromHex('00000100'), ni, nr);
    const k1 = nobleHmac('sha1', d, seed);
    const k2 = nobleHmac('sha1', d, k1, seed);
    const km = deriveKeymat('sha1', d, { protocol: 3, spi: 0x100, ni, nr }, 36);
    expect(km).toEqual(concatBytes(k1, k2).slice(0, 36));
  });

  it('derives exactly the KEYMAT every ESP transform needs and splits it', () => {
    for (const t of allEspTransforms()) {
      const n = espKeyLengths(t).total;
      const km = deriveKeymat('sha256', rnd(32), { protocol: 3, spi: 0x1234, ni: rnd(16), nr: rnd(16) }, n);
      expect(km.length, describeTransform(t)).toBe(n);
      expect(splitKeymat(t, km).ok).toBe(true);
    }
  });
});
