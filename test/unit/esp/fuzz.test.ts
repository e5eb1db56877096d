import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../../../core/common/decode';
import { err, ok, type Result } from '../../../core/common/result';
import { ESP_DROP_REASONS, type EspDropReason, type InboundSa, type Opened } from '../../../core/esp/inbound';
import { decodeEspHeader, decodeEspTrailer } from '../../../core/esp/packet';
import { createEspSuite } from '../../../core/esp/suite';
import { describeTransform, type EspTransform, transformLayout } from '../../../core/esp/transforms';
import { fuzzDecoder } from '../../support/fuzz';
import { bytes, keysFor, mustSeal, SPI, saPair } from './helpers';

/** InboundSa.open as a total decoder: a drop is a decode error, and only 'internal' (an escaped exception) fails. */
function asDecoder(sa: InboundSa): (input: Uint8Array) => Result<Opened, DecodeError> {
  return (input) => {
    const r = sa.open(input);
    if (r.ok) return ok(r.value);
    return err({ code: r.error === 'internal' ? 'internal' : 'invalid', message: r.error });
  };
}

const TRANSFORMS: readonly EspTransform[] = [
  { cipher: 'aes-gcm-16', keyBits: 256 },
  { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' },
  { cipher: '3des-cbc', integrity: 'hmac-sha256-128' },
];

describe('fuzzing the inbound path', () => {
  for (const t of TRANSFORMS) {
    it(`${describeTransform(t)}: random and mutated packets are dropped by reason, never thrown`, () => {
      const { outbound, inbound } = saPair(t);
      const seeds = [0, 1, 17, 100, 600].map((n) => mustSeal(outbound, bytes(n, n)));
      const stats = fuzzDecoder(`esp open ${describeTransform(t)}`, asDecoder(inbound), seeds, {
        check: (v) => expect(v.payload.length).toBeLessThan(700),
      });
      const drops = inbound.stats().drops;
      expect(drops.internal).toBe(0);
      // Every input was either delivered or counted under exactly one reason.
      const counted = ESP_DROP_REASONS.reduce((a, r: EspDropReason) => a + drops[r], 0);
      expect(counted + inbound.stats().packets).toBe(stats.iterations);
      // Each stage of RFC 4303 §3.4 turned some inputs away.
      for (const r of ['malformed', 'bad-spi', 'replay', 'auth-failed'] as const)
        expect(drops[r]).toBeGreaterThan(0);
    });
  }

  it('authentic packets with fuzzed plaintext reach the trailer and next-header checks safely', () => {
    // Each input is sealed as the raw plaintext (trailer included) of a new, correctly authenticated packet.
    const t: EspTransform = { cipher: 'aes-gcm-16', keyBits: 128 };
    const { inbound } = saPair(t, {}, { acceptNextHeaders: [17] });
    const suite = createEspSuite(t, keysFor(t));
    const { ivLength, icvLength } = transformLayout(t);
    let seq = 0;
    const decode = (plaintext: Uint8Array) => {
      const packet = new Uint8Array(8 + ivLength + plaintext.length + icvLength);
      const v = new DataView(packet.buffer);
      v.setUint32(0, SPI);
      v.setUint32(4, ++seq);
      suite.seal(packet, plaintext);
      return asDecoder(inbound)(packet);
    };
    const seeds = [Uint8Array.from([0x45, 0, 1, 2, 2, 17]), Uint8Array.from([9, 9, 9, 1, 2, 3, 3, 17])];
    fuzzDecoder('esp trailer via open', decode, seeds, {
      check: (v) => expect(v.nextHeader).toBe(17),
    });
    const drops = inbound.stats().drops;
    expect(drops.internal).toBe(0);
    expect(drops['bad-padding']).toBeGreaterThan(0);
    expect(drops['bad-next-header']).toBeGreaterThan(0);
    expect(inbound.stats().packets).toBeGreaterThan(0);
  });

  it('decodeEspHeader and decodeEspTrailer are total', () => {
    fuzzDecoder('esp header', decodeEspHeader, [bytes(8), bytes(40)], {
      check: (h) => expect(h.spi).toBeGreaterThanOrEqual(256),
    });
    fuzzDecoder('esp trailer', (b) => decodeEspTrailer(b), [Uint8Array.from([7, 1, 2, 3, 3, 4])], {
      check: (tr, input) => expect(tr.payloadLength + tr.padLength + 2).toBe(input.length),
    });
  });

  it('the header and trailer codecs read what the RFC lays out', () => {
    expect(decodeEspHeader(Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 5, 0xaa]))).toMatchObject({
      ok: true,
      value: { spi: 256, seq: 5 },
    });
    expect(decodeEspHeader(Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 5]))).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(decodeEspTrailer(Uint8Array.from([0xee, 1, 2, 3, 3, 17]))).toEqual({
      ok: true,
      value: { payloadLength: 1, padLength: 3, nextHeader: 17 },
    });
    expect(decodeEspTrailer(Uint8Array.from([1, 3, 2, 17]))).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(decodeEspTrailer(Uint8Array.from([1, 3, 2, 17]), false)).toMatchObject({ ok: true });
    expect(decodeEspTrailer(Uint8Array.from([4]))).toMatchObject({ ok: false, error: { code: 'truncated' } });
  });
});
