/**
 * node:crypto against independent implementations for every transform: @noble/ciphers + @noble/hashes (the
 * portable suites), and des.js + @noble/hashes for 3DES, which @noble lacks.
 */
import { createRequire } from 'node:module';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InboundSa } from '../../../core/esp/inbound';
import { OutboundSa } from '../../../core/esp/outbound';
import { parseTrailer } from '../../../core/esp/packet';
import { createEspSuite, nodeSupports, portableSupports } from '../../../core/esp/suite';
import {
  allEspTransforms,
  describeTransform,
  type EspTransform,
  INTEGRITY_INFO,
  transformLayout,
} from '../../../core/esp/transforms';
import { hex, keysFor, SPI, seededRandom } from './helpers';

interface DesCipher {
  update(data: number[]): number[];
  final(): number[];
}
interface DesJs {
  readonly EDE: unknown;
  readonly CBC: {
    instantiate(base: unknown): {
      create(o: { type: 'decrypt'; key: number[]; iv: number[]; padding: boolean }): DesCipher;
    };
  };
}
const des = createRequire(import.meta.url)('des.js') as DesJs;
const NOBLE_HASH = { sha1, sha256, sha384, sha512, md5 } as const;

const payloadArb = fc.uint8Array({ maxLength: 1500 });
const nextHeaderArb = fc.constantFrom(4, 17);

describe('node:crypto and @noble agree on every transform', () => {
  for (const t of allEspTransforms().filter(portableSupports)) {
    it(`${describeTransform(t)}: identical packets for identical IVs, and each opens the other's`, () => {
      expect(nodeSupports(t)).toBe(true);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1 << 30 }), payloadArb, nextHeaderArb, (seed, payload, nh) => {
          const keys = keysFor(t, seed);
          const mk = (provider: 'node' | 'portable') =>
            new OutboundSa({ spi: SPI, transform: t, keys, provider, random: seededRandom(seed) });
          const viaNode = mk('node').seal(payload, nh);
          const viaNoble = mk('portable').seal(payload, nh);
          if (!viaNode.ok || !viaNoble.ok) throw new Error('seal refused');
          expect(hex(viaNoble.value.packet)).toBe(hex(viaNode.value.packet));
          const nodeIn = new InboundSa({ spi: SPI, transform: t, keys, provider: 'node' });
          const nobleIn = new InboundSa({ spi: SPI, transform: t, keys, provider: 'portable' });
          const a = nobleIn.open(viaNode.value.packet);
          const b = nodeIn.open(viaNoble.value.packet);
          expect(a.ok && hex(a.value.payload)).toBe(hex(payload));
          expect(b.ok && hex(b.value.payload)).toBe(hex(payload));
        }),
        { numRuns: 40 },
      );
    });

    it(`${describeTransform(t)}: both reject the same corrupted packets`, () => {
      const keys = keysFor(t);
      const node = createEspSuite(t, keys, { provider: 'node' });
      const noble = createEspSuite(t, keys, { provider: 'portable' });
      const packet = new OutboundSa({ spi: SPI, transform: t, keys }).seal(new Uint8Array(64), 17);
      if (!packet.ok) throw new Error('seal refused');
      for (let at = 0; at < packet.value.packet.length; at += 5) {
        const bad = packet.value.packet.slice();
        bad[at]! ^= 0x80;
        expect([node.open(bad), noble.open(bad)]).toEqual([null, null]);
      }
    });
  }

  it('3des-cbc: node:crypto packets decrypt with des.js and authenticate with @noble/hashes', () => {
    const transforms = allEspTransforms().filter(
      (t): t is Extract<EspTransform, { cipher: '3des-cbc' }> => t.cipher === '3des-cbc',
    );
    for (const t of transforms) {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1 << 30 }), payloadArb, (seed, payload) => {
          const keys = keysFor(t, seed);
          const sealed = new OutboundSa({ spi: SPI, transform: t, keys, random: seededRandom(seed) }).seal(
            payload,
            17,
          );
          if (!sealed.ok) throw new Error('seal refused');
          const p = sealed.value.packet;
          const { ivLength, icvLength } = transformLayout(t);
          const info = INTEGRITY_INFO[t.integrity];
          const icvStart = p.length - icvLength;
          const icv = hmac(NOBLE_HASH[info.hash], keys.authKey!, p.subarray(0, icvStart)).subarray(
            0,
            icvLength,
          );
          expect(hex(p.subarray(icvStart))).toBe(hex(icv));
          const d = des.CBC.instantiate(des.EDE).create({
            type: 'decrypt',
            key: [...keys.encKey],
            iv: [...p.subarray(8, 8 + ivLength)],
            padding: false,
          });
          const pt = Uint8Array.from([...d.update([...p.subarray(8 + ivLength, icvStart)]), ...d.final()]);
          const trailer = parseTrailer(pt, true);
          expect(trailer).toEqual({
            payloadLength: payload.length,
            padLength: expect.any(Number),
            nextHeader: 17,
          });
          expect(hex(pt.subarray(0, payload.length))).toBe(hex(payload));
        }),
        { numRuns: 25 },
      );
    }
  });
});
