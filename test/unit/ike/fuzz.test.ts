import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../../../core/common/decode';
import type { Result } from '../../../core/common/result';
import { PayloadType } from '../../../core/ike/constants';
import { decryptMessage, encryptMessage } from '../../../core/ike/crypto/protect';
import {
  decodeHeader,
  decodePayloadChain,
  decodePlainMessage,
  encodePayloadChain,
} from '../../../core/ike/message';
import { decodeAttributes, encodeAttributes } from '../../../core/ike/payloads/attributes';
import { decodePayloadBody, encodePayloadBody, type Payload } from '../../../core/ike/payloads/index';
import { fuzzDecoder } from '../../support/fuzz';
import { SOFTETHER_MM6, STRONGSWAN_BAD_PSK_NOTIFY } from './support/captured';
import { SAMPLE_PAYLOADS, sampleMessages } from './support/samples';

const TYPES: Record<string, number> = {
  sa: PayloadType.SA,
  ke: PayloadType.KE,
  id: PayloadType.ID,
  cert: PayloadType.CERT,
  cr: PayloadType.CR,
  hash: PayloadType.HASH,
  sig: PayloadType.SIG,
  nonce: PayloadType.NONCE,
  notify: PayloadType.NOTIFY,
  delete: PayloadType.DELETE,
  vid: PayloadType.VID,
};

function typeOf(p: Payload): number {
  return encodePayloadChain([p]).first;
}

/** encode(decode(encode(x))) == encode(x) for every successful decode (byte comparison keeps 10^5 runs fast). */
function idempotent<T>(decode: (b: Uint8Array) => Result<T, DecodeError>, encode: (v: T) => Uint8Array) {
  return (v: T) => {
    const once = encode(v);
    const again = decode(once);
    if (!again.ok) throw new Error(`re-decode failed: ${again.error.message}`);
    if (Buffer.compare(encode(again.value), once) !== 0) throw new Error('re-encode differs');
  };
}

describe('fuzzing every payload decoder (10^5 inputs each, seeded from realistic payloads)', () => {
  const byType = new Map<number, Payload[]>();
  for (const p of SAMPLE_PAYLOADS) {
    const t = typeOf(p);
    byType.set(t, [...(byType.get(t) ?? []), p]);
  }
  for (const [type, samples] of byType) {
    const name = Object.entries(TYPES).find(([, v]) => v === type)?.[0] ?? `type-${type}`;
    it(`${name} (payload type ${type})`, () => {
      const decode = (b: Uint8Array) => decodePayloadBody(type, b);
      const stats = fuzzDecoder(`payload ${name}`, decode, samples.map(encodePayloadBody), {
        check: idempotent(decode, encodePayloadBody),
      });
      expect(stats.iterations).toBe(Number(process.env.FUZZ_ITERATIONS ?? 100_000));
    });
  }

  it('data attributes', () => {
    const sa = SAMPLE_PAYLOADS[0]!;
    const seeds =
      sa.kind === 'sa' ? sa.proposals[0]!.transforms.map((t) => encodeAttributes(t.attributes)) : [];
    fuzzDecoder('attributes', decodeAttributes, seeds, {
      check: idempotent(decodeAttributes, encodeAttributes),
    });
  });
});

describe('fuzzing message decoders', () => {
  const messages = sampleMessages();

  it('ISAKMP header', () => {
    const stats = fuzzDecoder('header', decodeHeader, messages);
    expect(stats.ok).toBeGreaterThan(0);
  });

  it('payload chain (first byte = first payload type)', () => {
    const decode = (b: Uint8Array) => decodePayloadChain(b[0] ?? 0, b.subarray(1), !!((b[0] ?? 0) & 1));
    const seeds = messages.map((m) => {
      const s = new Uint8Array(m.length - 27);
      s[0] = m[16]!;
      s.set(m.subarray(28), 1);
      return s;
    });
    const stats = fuzzDecoder('chain', decode, seeds);
    expect(stats.ok).toBeGreaterThan(0);
  });

  it('whole unencrypted messages', () => {
    const stats = fuzzDecoder('message', decodePlainMessage, messages, { maxRandomLength: 600 });
    expect(stats.ok).toBeGreaterThan(0);
  });

  it('encrypted messages (decrypt + parse never throws, whatever the ciphertext)', () => {
    const ctx = { cipher: 'aes256' as const, key: new Uint8Array(32).fill(7) };
    const iv = new Uint8Array(16).fill(3);
    const seeds = [
      encryptMessage(
        ctx,
        {
          initiatorCookie: new Uint8Array(8).fill(1),
          responderCookie: new Uint8Array(8).fill(2),
          exchangeType: 2,
          flags: 1,
          messageId: 0,
        },
        [
          { kind: 'id', identity: { type: 'ipv4', address: '0.0.0.0' }, protocol: 0, port: 0 },
          { kind: 'hash', data: new Uint8Array(32).fill(9) },
        ],
        iv,
      ).bytes,
      SOFTETHER_MM6,
      STRONGSWAN_BAD_PSK_NOTIFY,
    ];
    const decode = (b: Uint8Array) => {
      const h = decodeHeader(b);
      if (!h.ok) return h;
      return decryptMessage(ctx, b, { ...h.value, flags: h.value.flags | 1 }, iv);
    };
    const stats = fuzzDecoder('encrypted', decode, seeds);
    expect(stats.ok).toBeGreaterThan(0);
  });
});
