import { describe, expect, it } from 'vitest';
import { createLogger, type LogEntry } from '../../../core/common/log';
import { InboundSa } from '../../../core/esp/inbound';
import { InboundSaTable } from '../../../core/esp/inboundTable';
import { MAX_ESP_PACKET, OutboundSa, sealRefusalError } from '../../../core/esp/outbound';
import { parseTrailer, peekSeq, peekSpi } from '../../../core/esp/packet';
import { createEspSuite } from '../../../core/esp/suite';
import {
  allEspTransforms,
  describeTransform,
  type EspTransform,
  transformLayout,
} from '../../../core/esp/transforms';
import { bytes, hex, keysFor, mustSeal, SPI, saPair, seededRandom } from './helpers';

const GCM256: EspTransform = { cipher: 'aes-gcm-16', keyBits: 256 };
const CBC_SHA1: EspTransform = { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' };

describe('round trip', () => {
  for (const t of allEspTransforms()) {
    it(`${describeTransform(t)}: payloads of 0..80 and 1400 bytes come back unchanged`, () => {
      const { outbound, inbound } = saPair(t);
      const lengths = [...Array.from({ length: 81 }, (_, i) => i), 1400];
      for (const n of lengths) {
        const payload = bytes(n, n + 1);
        const res = inbound.open(mustSeal(outbound, payload, n % 2 ? 17 : 4));
        expect(res.ok && [hex(res.value.payload), res.value.nextHeader]).toEqual([
          hex(payload),
          n % 2 ? 17 : 4,
        ]);
      }
      expect(inbound.stats().packets).toBe(lengths.length);
      expect(outbound.stats().packets).toBe(lengths.length);
    });
  }
});

describe('outbound SA (RFC 4303 §3.3)', () => {
  it('numbers packets from 1 and writes the SPI', () => {
    const { outbound } = saPair(GCM256);
    const seqs = [1, 2, 3].map(() => peekSeq(mustSeal(outbound, bytes(10))));
    expect(seqs).toEqual([1, 2, 3]);
    expect(peekSpi(mustSeal(outbound, bytes(10)))).toBe(SPI);
    expect(outbound.sequence).toBe(4);
  });

  for (const t of allEspTransforms().filter(
    (x) => ('keyBits' in x && x.keyBits === 128) || x.cipher === '3des-cbc',
  )) {
    it(`${describeTransform(t)}: pads minimally with 1, 2, 3, … to the alignment (RFC 4303 §2.4)`, () => {
      const { outbound, keys } = saPair(t);
      const suite = createEspSuite(t, keys, { provider: t.cipher === '3des-cbc' ? 'node' : 'portable' });
      const { alignment, ivLength, icvLength } = transformLayout(t);
      for (let n = 0; n < 3 * alignment; n++) {
        const packet = mustSeal(outbound, bytes(n));
        const ctLength = packet.length - 8 - ivLength - icvLength;
        expect(ctLength % alignment).toBe(0);
        expect(ctLength - n - 2).toBeLessThan(alignment);
        const pt = suite.open(packet)!;
        const trailer = parseTrailer(pt, true);
        expect(trailer).toEqual({ payloadLength: n, padLength: ctLength - n - 2, nextHeader: 17 });
      }
    });
  }

  it('GCM: IVs are the sequence number under a per-SA mask, so they never repeat under the key', () => {
    const { outbound } = saPair(GCM256);
    const ivs = new Set<string>();
    let mask: bigint | undefined;
    for (let i = 0; i < 5000; i++) {
      const p = mustSeal(outbound, bytes(4));
      const iv = Buffer.from(p.subarray(8, 16)).readBigUInt64BE();
      const m = iv ^ BigInt(peekSeq(p));
      mask ??= m;
      expect(m).toBe(mask);
      ivs.add(iv.toString(16));
    }
    expect(ivs.size).toBe(5000);
    // Two SAs draw different masks from a real random source.
    const a = new OutboundSa({ spi: 1000, transform: GCM256, keys: keysFor(GCM256) });
    const b = new OutboundSa({ spi: 1000, transform: GCM256, keys: keysFor(GCM256) });
    expect(hex(mustSeal(a, bytes(1)).subarray(8, 16))).not.toBe(hex(mustSeal(b, bytes(1)).subarray(8, 16)));
  });

  it('CBC: every IV is fresh random bytes', () => {
    const { outbound } = saPair(CBC_SHA1, { random: undefined });
    const ivs = new Set(
      Array.from({ length: 1000 }, () => hex(mustSeal(outbound, bytes(4)).subarray(8, 24))),
    );
    expect(ivs.size).toBe(1000);
  });

  it('sealParts produces the same packet as sealing the concatenation', () => {
    const keys = keysFor(CBC_SHA1);
    const make = () => new OutboundSa({ spi: SPI, transform: CBC_SHA1, keys, random: seededRandom(5) });
    const a = make();
    const b = make();
    const parts = [bytes(8, 1), bytes(12, 2), bytes(0, 3), bytes(1400, 4)];
    for (let i = 0; i < 3; i++) {
      const whole = a.seal(Buffer.concat(parts), 17);
      const split = b.sealParts(parts, 17);
      expect(split.ok && hex(split.value.packet)).toBe(whole.ok && hex(whole.value.packet));
    }
  });

  it('signals rekey at the soft limit and refuses past the hard limit (RFC 4303 §3.3.3)', () => {
    const logs: LogEntry[] = [];
    const logger = createLogger({ sinks: [(e) => logs.push(e)] });
    const { outbound } = saPair(GCM256, { limits: { softPackets: 3, hardPackets: 5 }, logger });
    const events: string[] = [];
    outbound.events.on('rekey-needed', (why) => events.push(`soft:${why}`));
    outbound.events.on('exhausted', (why) => events.push(`hard:${why}`));
    const results = Array.from({ length: 7 }, () => outbound.seal(bytes(10), 17));
    expect(results.map((r) => (r.ok ? r.value.seq : r.error))).toEqual([
      1,
      2,
      3,
      4,
      5,
      'sequence-exhausted',
      'sequence-exhausted',
    ]);
    expect(events).toEqual(['soft:packets', 'hard:packets']);
    expect(outbound.rekeyNeeded).toBe(true);
    expect(outbound.stats().refused['sequence-exhausted']).toBe(2);
    expect(logs.map((l) => l.msg)).toContain('ESP SA exhausted, refusing to send');
  });

  it('applies byte lifetimes to payload bytes', () => {
    const { outbound } = saPair(GCM256, { limits: { softBytes: 150, hardBytes: 300 } });
    const events: string[] = [];
    outbound.events.on('rekey-needed', (why) => events.push(why));
    const r = Array.from({ length: 4 }, () => outbound.seal(bytes(100), 17));
    expect(r.map((x) => x.ok || x.error)).toEqual([true, true, true, 'byte-limit']);
    expect(events).toEqual(['bytes']);
    expect(outbound.stats().bytes).toBe(300);
  });

  it('does not signal rekey under default limits in ordinary use', () => {
    const { outbound } = saPair(GCM256);
    for (let i = 0; i < 100; i++) mustSeal(outbound, bytes(10));
    expect(outbound.rekeyNeeded).toBe(false);
  });

  it('refuses payloads that cannot fit a UDP datagram and invalid next headers', () => {
    const { outbound } = saPair(GCM256);
    expect(outbound.seal(new Uint8Array(MAX_ESP_PACKET), 17)).toEqual({ ok: false, error: 'too-large' });
    // 8 header + 8 IV + 16 ICV leave 65475 bytes, of which 65472 are 4-aligned: 65470 payload + trailer.
    expect(outbound.seal(new Uint8Array(65470), 17).ok).toBe(true);
    expect(outbound.seal(new Uint8Array(65471), 17)).toEqual({ ok: false, error: 'too-large' });
    expect(outbound.seal(bytes(1), 256)).toEqual({ ok: false, error: 'bad-next-header' });
    expect(outbound.stats().refused).toMatchObject({ 'too-large': 2, 'bad-next-header': 1 });
    const e = sealRefusalError('too-large', SPI);
    expect([e.phase, e.code, e.message]).toEqual([
      'established',
      'esp-too-large',
      expect.stringContaining('c0ffee01'),
    ]);
  });
});

describe('inbound SA drops (RFC 4303 §3.4)', () => {
  for (const t of [GCM256, CBC_SHA1]) {
    const name = describeTransform(t);

    it(`${name}: a tampered ICV, ciphertext, IV, SPI or sequence number is the right drop`, () => {
      const { outbound, inbound } = saPair(t);
      const flip = (p: Uint8Array, at: number) => {
        const c = p.slice();
        c[at]! ^= 0x01;
        return c;
      };
      const p = mustSeal(outbound, bytes(100));
      expect(inbound.open(flip(p, p.length - 1))).toEqual({ ok: false, error: 'auth-failed' });
      expect(inbound.open(flip(p, 30))).toEqual({ ok: false, error: 'auth-failed' });
      expect(inbound.open(flip(p, 9))).toEqual({ ok: false, error: 'auth-failed' });
      expect(inbound.open(flip(p, 3))).toEqual({ ok: false, error: 'bad-spi' });
      expect(inbound.open(flip(p, 6))).toEqual({ ok: false, error: 'auth-failed' });
      // The forged sequence number (257) must not move the window; the genuine packet still gets through.
      expect(inbound.open(p).ok).toBe(true);
      expect(inbound.stats().drops).toMatchObject({ 'auth-failed': 4, 'bad-spi': 1 });
      expect(inbound.stats().highestSeq).toBe(1);
    });

    it(`${name}: duplicates are replays, reordering within the window is fine, old packets are too old`, () => {
      const { outbound, inbound } = saPair(t, {}, { replayWindow: 64 });
      const packets = Array.from({ length: 100 }, () => mustSeal(outbound, bytes(20)));
      expect(inbound.open(packets[50]!).ok).toBe(true);
      expect(inbound.open(packets[50]!)).toEqual({ ok: false, error: 'replay' });
      expect(inbound.open(packets[20]!).ok).toBe(true);
      expect(inbound.open(packets[99]!).ok).toBe(true);
      expect(inbound.open(packets[20]!)).toEqual({ ok: false, error: 'too-old' });
      expect(inbound.open(packets[40]!).ok).toBe(true);
      expect(inbound.stats().drops).toMatchObject({ replay: 1, 'too-old': 1 });
    });

    it(`${name}: truncated packets and partial cipher blocks are malformed`, () => {
      const { outbound, inbound } = saPair(t);
      const p = mustSeal(outbound, bytes(40));
      for (const n of [0, 3, 8, 20])
        expect(inbound.open(p.subarray(0, n))).toEqual({ ok: false, error: 'malformed' });
      if (t.cipher !== 'aes-gcm-16') {
        expect(inbound.open(p.subarray(0, p.length - 1))).toEqual({ ok: false, error: 'malformed' });
      }
    });
  }

  /** Seals an arbitrary plaintext (trailer included) with a valid ICV, to reach the post-authentication checks. */
  function craft(t: EspTransform, seq: number, plaintext: Uint8Array): Uint8Array {
    const { ivLength, icvLength } = transformLayout(t);
    const packet = new Uint8Array(8 + ivLength + plaintext.length + icvLength);
    const v = new DataView(packet.buffer);
    v.setUint32(0, SPI);
    v.setUint32(4, seq);
    packet.set(bytes(ivLength, seq), 8);
    createEspSuite(t, keysFor(t)).seal(packet, plaintext);
    return packet;
  }

  it('authentic packets with bad padding, unknown next header or Next Header 59 are dropped by reason', () => {
    const { inbound } = saPair(GCM256);
    const pt = (tail: number[]) => Uint8Array.from([0x45, 0, 0, 0, ...tail]);
    expect(inbound.open(craft(GCM256, 1, pt([1, 3, 2, 17])))).toEqual({ ok: false, error: 'bad-padding' });
    expect(inbound.open(craft(GCM256, 2, Uint8Array.from([0, 0, 9, 17])))).toEqual({
      ok: false,
      error: 'bad-padding',
    });
    expect(inbound.open(craft(GCM256, 3, pt([1, 2, 2, 6])))).toEqual({ ok: false, error: 'bad-next-header' });
    expect(inbound.open(craft(GCM256, 4, pt([1, 2, 2, 59])))).toEqual({ ok: false, error: 'dummy' });
    expect(inbound.open(craft(GCM256, 5, pt([1, 2, 2, 17])))).toMatchObject({ ok: true, value: { seq: 5 } });
    // Authentic packets enter the replay window whatever their content.
    expect(inbound.open(craft(GCM256, 1, pt([1, 2, 2, 17])))).toEqual({ ok: false, error: 'replay' });
    expect(inbound.stats().drops).toMatchObject({
      'bad-padding': 2,
      'bad-next-header': 1,
      dummy: 1,
      replay: 1,
    });
  });

  it('accepts non-default padding when padding checks are off, and configured next headers', () => {
    const keys = keysFor(CBC_SHA1);
    const inbound = new InboundSa({
      spi: SPI,
      transform: CBC_SHA1,
      keys,
      checkPadding: false,
      acceptNextHeaders: [6],
    });
    const pt = new Uint8Array(32);
    pt.fill(0xaa, 0, 20);
    pt[30] = 10; // ten zero padding bytes
    pt[31] = 6;
    const res = inbound.open(craft(CBC_SHA1, 1, pt));
    expect(res.ok && [res.value.payload.length, res.value.nextHeader]).toEqual([20, 6]);
  });

  it('counts packets and payload bytes, and logs drops without keys', () => {
    const logs: LogEntry[] = [];
    const logger = createLogger({ sinks: [(e) => logs.push(e)] });
    const { outbound, inbound, keys } = saPair(CBC_SHA1, {}, { logger });
    for (let i = 0; i < 3; i++) inbound.open(mustSeal(outbound, bytes(100)));
    const bad = mustSeal(outbound, bytes(100));
    bad[bad.length - 1]! ^= 1;
    inbound.open(bad);
    expect(inbound.stats()).toMatchObject({ packets: 3, bytes: 300, highestSeq: 3 });
    const text = JSON.stringify(logs);
    expect(text).toContain('auth-failed');
    expect(text).not.toContain(hex(keys.encKey));
    expect(text).not.toContain(hex(keys.authKey!));
  });
});

describe('inbound SA table', () => {
  it('routes by SPI so an old and a new SA receive side by side during a rekey', () => {
    const oldPair = saPair(GCM256);
    const keys = keysFor(GCM256, 42);
    const newOut = new OutboundSa({ spi: 0x5000, transform: GCM256, keys });
    const table = new InboundSaTable();
    table.add(oldPair.inbound);
    table.add(new InboundSa({ spi: 0x5000, transform: GCM256, keys }));
    expect(table.open(mustSeal(oldPair.outbound, bytes(5))).ok).toBe(true);
    expect(table.open(mustSeal(newOut, bytes(5))).ok).toBe(true);
    table.remove(SPI);
    expect(table.open(mustSeal(oldPair.outbound, bytes(5)))).toEqual({ ok: false, error: 'bad-spi' });
    expect(table.open(new Uint8Array(3))).toEqual({ ok: false, error: 'malformed' });
    expect(table.drops()).toEqual({ 'bad-spi': 1, malformed: 1 });
    expect(table.size).toBe(1);
  });
});
