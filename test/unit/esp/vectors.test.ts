/**
 * Known-answer tests: the ESP packets of draft-mcgrew-gcm-test-01 §4 (AES-GCM in ESP, the cases without ESN),
 * RFC 3602 §4 cases 5-8 (AES-CBC ESP packets, here with an HMAC-SHA1-96 ICV appended), and the HMAC truncation
 * vectors of RFC 2202 (used by RFC 2403/2404) and RFC 4868 §2.7.2.
 */
import { createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, u32be } from '../../../core/common/bytes';
import type { RandomSource } from '../../../core/common/random';
import { InboundSa } from '../../../core/esp/inbound';
import { OutboundSa } from '../../../core/esp/outbound';
import { type CryptoProvider, createEspSuite } from '../../../core/esp/suite';
import { type EspIntegrity, type EspTransform, INTEGRITY_INFO } from '../../../core/esp/transforms';
import { hex } from './helpers';

interface GcmCase {
  readonly name: string;
  readonly keyBits: 128 | 192 | 256;
  readonly key: string;
  readonly salt: string;
  readonly spi: number;
  readonly seq: number;
  readonly iv: string;
  /** Payload, padding, pad length and next header. */
  readonly plaintext: string;
  /** Ciphertext and ICV. */
  readonly sealed: string;
}

// draft-mcgrew-gcm-test-01 §4; the draft's next header is 1 throughout.
const GCM_CASES: readonly GcmCase[] = [
  {
    name: 'case 2 (AES-128)',
    keyBits: 128,
    key: 'feffe9928665731c6d6a8f9467308308',
    salt: 'cafebabe',
    spi: 0x0000a5f8,
    seq: 10,
    iv: 'facedbaddecaf888',
    plaintext:
      '4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265726369747902646b00000100010001',
    sealed:
      'deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1' +
      '83b70d3aa8bc6ee4c309e9d85a41ad4a',
  },
  {
    name: 'case 3 (AES-256)',
    keyBits: 256,
    key: 'abbccddef00112233445566778899aababbccddef00112233445566778899aab',
    salt: '11223344',
    spi: 0x4a2cbfe3,
    seq: 2,
    iv: '0102030405060708',
    plaintext:
      '4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b40101040201020201',
    sealed:
      'ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8e' +
      'b335f4eecfdbf831824b4c4915956c96',
  },
  {
    name: 'case 4 (AES-128, all-zero key)',
    keyBits: 128,
    key: '00000000000000000000000000000000',
    salt: '00000000',
    spi: 0,
    seq: 1,
    iv: '0000000000000000',
    plaintext:
      '4500003c99c500008001cb7a40679318010101010800075c020044006162636465666768696a6b6c6d6e6f707172737475767761626364656667686901020201',
    sealed:
      '4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3' +
      'f821d496eeb096e98ad2b69e4799c71d',
  },
  {
    name: 'case 7 (AES-192)',
    keyBits: 192,
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c',
    salt: 'cafebabe',
    spi: 0x0000a5f8,
    seq: 10,
    iv: 'facedbaddecaf888',
    plaintext: '45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001',
    sealed:
      'a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0315b27452144cc77' +
      '95457b9652037f5318027b5b4cd7a636',
  },
  {
    name: 'case 12 (AES-128, empty payload, sequence number 2^32-1)',
    keyBits: 128,
    key: '7d773d00c144c525ac619d18c84a3f47',
    salt: 'd9664267',
    spi: 0x335467ae,
    seq: 0xffffffff,
    iv: '43457e9182443bc6',
    plaintext: '01020201',
    sealed: '437f866b' + 'cb3f699fe9b0822bac961c4504bef270',
  },
];

const PROVIDERS: readonly CryptoProvider[] = ['node', 'portable'];

function gcmPacket(c: GcmCase): Uint8Array {
  return concatBytes(u32be(c.spi), u32be(c.seq), fromHex(c.iv), fromHex(c.sealed));
}

/** Returns `script[i]` on call i (and zeros after), so an SA's IVs are chosen by the test. */
function scriptedRandom(script: readonly Uint8Array[]): RandomSource {
  let call = 0;
  return (n) => {
    const b = new Uint8Array(n);
    const s = script[call++];
    if (s) b.set(s.subarray(0, n));
    return b;
  };
}

describe('AES-GCM ESP packets (draft-mcgrew-gcm-test-01 §4)', () => {
  for (const c of GCM_CASES) {
    const t: EspTransform = { cipher: 'aes-gcm-16', keyBits: c.keyBits };
    const keys = { encKey: fromHex(c.key), salt: fromHex(c.salt) };

    for (const provider of PROVIDERS) {
      it(`${c.name}: the ${provider} suite seals the plaintext to the published packet`, () => {
        const suite = createEspSuite(t, keys, { provider });
        const expected = gcmPacket(c);
        const packet = new Uint8Array(expected.length);
        packet.set(expected.subarray(0, 16));
        suite.seal(packet, fromHex(c.plaintext));
        expect(hex(packet)).toBe(hex(expected));
      });

      it(`${c.name}: the ${provider} inbound SA opens the published packet`, () => {
        const sa = new InboundSa({ spi: c.spi, transform: t, keys, provider, acceptNextHeaders: [1] });
        const res = sa.open(gcmPacket(c));
        const pt = fromHex(c.plaintext);
        const payloadLength = pt.length - 2 - pt[pt.length - 2]!;
        expect(res.ok && hex(res.value.payload)).toBe(hex(pt.subarray(0, payloadLength)));
        expect(res.ok && [res.value.nextHeader, res.value.seq]).toEqual([1, c.seq]);
      });
    }

    if (c.seq <= 10) {
      it(`${c.name}: the outbound SA pads and numbers the payload into the published packet`, () => {
        const seq64 = concatBytes(u32be(0), u32be(c.seq));
        const mask = fromHex(c.iv).map((b, i) => b ^ seq64[i]!);
        const sa = new OutboundSa({ spi: c.spi, transform: t, keys, random: scriptedRandom([mask]) });
        const pt = fromHex(c.plaintext);
        const payload = pt.subarray(0, pt.length - 2 - pt[pt.length - 2]!);
        let last: Uint8Array | undefined;
        for (let s = 1; s <= c.seq; s++) {
          const r = sa.seal(payload, 1);
          if (r.ok) last = r.value.packet;
        }
        expect(hex(last!)).toBe(hex(gcmPacket(c)));
      });
    }
  }
});

interface CbcCase {
  readonly name: string;
  readonly key: string;
  readonly spi: number;
  readonly seq: number;
  readonly iv: string;
  readonly payload: string;
  readonly nextHeader: number;
  /** The ESP packet without ICV as RFC 3602 prints it (it uses no authentication). */
  readonly packet: string;
}

// RFC 3602 §4, cases 5-8.
const CBC_CASES: readonly CbcCase[] = [
  {
    name: 'case 5 (transport, 64-byte ICMP)',
    key: '90d382b410eeba7ad938c46cec1a82bf',
    spi: 0x4321,
    seq: 1,
    iv: 'e96e8c08ab465763fd098d45dd3ff893',
    payload:
      '08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
    nextHeader: 1,
    packet:
      '0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6',
  },
  {
    name: 'case 6 (transport, 28-byte ICMP)',
    key: '90d382b410eeba7ad938c46cec1a82bf',
    spi: 0x4321,
    seq: 8,
    iv: '69d08df7d203329db093fc4924e5bd80',
    payload: '0800b5e8a80a0500a69c083d0b660e00777777777777777777777777',
    nextHeader: 1,
    packet:
      '000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca346a89f75',
  },
  {
    name: 'case 7 (tunnel, 84-byte IPv4)',
    key: '0123456789abcdef0123456789abcdef',
    spi: 0x8765,
    seq: 2,
    iv: 'f4e765244f6407adf13dc1380f673f37',
    payload:
      '45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
    nextHeader: 4,
    packet:
      '0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d',
  },
  {
    name: 'case 8 (tunnel, 68-byte IPv4)',
    key: '0123456789abcdef0123456789abcdef',
    spi: 0x8765,
    seq: 5,
    iv: '85d47224b5f3dd5d2101d4ea8dffab22',
    payload:
      '45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    nextHeader: 4,
    packet:
      '000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892',
  },
];

describe('AES-CBC ESP packets (RFC 3602 §4) with an HMAC-SHA1-96 ICV (RFC 2404)', () => {
  const authKey = fromHex('0102030405060708090a0b0c0d0e0f1011121314');
  const t: EspTransform = { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' };

  for (const c of CBC_CASES) {
    const keys = { encKey: fromHex(c.key), authKey };
    // The ICV from the independent implementation: HMAC-SHA1 over SPI..ciphertext, first 96 bits.
    const expected = concatBytes(fromHex(c.packet), hmac(sha1, authKey, fromHex(c.packet)).subarray(0, 12));

    for (const provider of PROVIDERS) {
      it(`${c.name}: ${provider} outbound SA pads 1, 2, 3, … and produces the published packet`, () => {
        const script = Array.from({ length: c.seq }, (_, i) =>
          i + 1 === c.seq ? fromHex(c.iv) : new Uint8Array(16),
        );
        const sa = new OutboundSa({
          spi: c.spi,
          transform: t,
          keys,
          provider,
          random: scriptedRandom(script),
          randomPoolBytes: 16,
        });
        let last: Uint8Array | undefined;
        for (let s = 1; s <= c.seq; s++) {
          const r = sa.seal(fromHex(c.payload), c.nextHeader);
          if (r.ok) last = r.value.packet;
        }
        expect(hex(last!)).toBe(hex(expected));
      });

      it(`${c.name}: ${provider} inbound SA verifies, decrypts and strips the trailer`, () => {
        const sa = new InboundSa({ spi: c.spi, transform: t, keys, provider, acceptNextHeaders: [1, 4] });
        const res = sa.open(expected);
        expect(res.ok && hex(res.value.payload)).toBe(c.payload);
        expect(res.ok && [res.value.nextHeader, res.value.seq]).toEqual([c.nextHeader, c.seq]);
      });
    }
  }
});

interface MacCase {
  readonly integrity: EspIntegrity;
  readonly key: string;
  readonly data: string;
  readonly icv: string;
}

const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

const MAC_CASES: readonly MacCase[] = [
  // RFC 2202 §2 test case 5 ("Test With Truncation"), the truncation RFC 2403 uses.
  {
    integrity: 'hmac-md5-96',
    key: '0c'.repeat(16),
    data: ascii('Test With Truncation'),
    icv: '56461ef2342edc00f9bab995',
  },
  // RFC 2202 §3 test case 5, the truncation RFC 2404 uses.
  {
    integrity: 'hmac-sha1-96',
    key: '0c'.repeat(20),
    data: ascii('Test With Truncation'),
    icv: '4c1a03424b55e07fe7f27be1',
  },
  // RFC 4868 §2.7.2.1 AUTH256-1, -2, -3.
  {
    integrity: 'hmac-sha256-128',
    key: '0b'.repeat(32),
    data: ascii('Hi There'),
    icv: '198a607eb44bfbc69903a0f1cf2bbdc5',
  },
  {
    integrity: 'hmac-sha256-128',
    key: ascii('JefeJefeJefeJefeJefeJefeJefeJefe'),
    data: ascii('what do ya want for nothing?'),
    icv: '167f928588c5cc2eef8e3093caa0e87c',
  },
  {
    integrity: 'hmac-sha256-128',
    key: 'aa'.repeat(32),
    data: 'dd'.repeat(50),
    icv: 'cdcb1220d1ecccea91e53aba3092f962',
  },
  // RFC 4868 §2.7.2.2 AUTH384-1.
  {
    integrity: 'hmac-sha384-192',
    key: '0b'.repeat(48),
    data: ascii('Hi There'),
    icv: 'b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973',
  },
  // RFC 4868 §2.7.2.3 AUTH512-1.
  {
    integrity: 'hmac-sha512-256',
    key: '0b'.repeat(64),
    data: ascii('Hi There'),
    icv: '637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8',
  },
];

describe('HMAC truncation (RFC 2403, 2404, 4868)', () => {
  for (const c of MAC_CASES) {
    it(`${c.integrity}: key length, hash and truncation reproduce the RFC authenticator`, () => {
      const info = INTEGRITY_INFO[c.integrity];
      expect(fromHex(c.key).length).toBe(info.keyLength);
      const full = createHmac(info.hash, fromHex(c.key)).update(fromHex(c.data)).digest();
      expect(hex(full.subarray(0, info.icvLength))).toBe(c.icv);
    });
  }
});
