import { expect } from 'vitest';
import type { DecodeError } from '../../core/common/decode';
import type { Result } from '../../core/common/result';

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzOptions {
  /** Inputs to try; default 100 000 (env FUZZ_ITERATIONS overrides). */
  readonly iterations?: number;
  readonly seed?: number;
  /** Longest purely random input. */
  readonly maxRandomLength?: number;
  /** Share of inputs that are mutated seeds rather than random bytes (0..1), default 0.8. */
  readonly mutateShare?: number;
}

export interface FuzzStats {
  readonly iterations: number;
  readonly ok: number;
  readonly errors: Record<string, number>;
  readonly seed: number;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function mutate(rand: () => number, input: Uint8Array, seeds: readonly Uint8Array[]): Uint8Array {
  const r = (n: number) => Math.floor(rand() * n);
  let b = input.slice();
  const rounds = 1 + r(4);
  for (let i = 0; i < rounds; i++) {
    switch (r(9)) {
      case 0: // flip one bit
        if (b.length) b[r(b.length)]! ^= 1 << r(8);
        break;
      case 1: // interesting byte
        if (b.length) b[r(b.length)] = INTERESTING[r(INTERESTING.length)]!;
        break;
      case 2: // truncate
        b = b.slice(0, r(b.length + 1));
        break;
      case 3: {
        // append random tail
        const tail = new Uint8Array(r(64));
        for (let j = 0; j < tail.length; j++) tail[j] = r(256);
        const n = new Uint8Array(b.length + tail.length);
        n.set(b);
        n.set(tail, b.length);
        b = n;
        break;
      }
      case 4: // boundary u16 (length fields)
        if (b.length >= 2) {
          const at = r(b.length - 1);
          const v = [0, 1, 0xffff, 0x7fff, b.length, b.length + 1, b.length - 1][r(7)]! & 0xffff;
          b[at] = v >> 8;
          b[at + 1] = v & 0xff;
        }
        break;
      case 5: // boundary u32
        if (b.length >= 4) {
          const at = r(b.length - 3);
          const v = [0, 1, 0xffffffff, 0x80000000, b.length][r(5)]! >>> 0;
          b[at] = v >>> 24;
          b[at + 1] = (v >>> 16) & 0xff;
          b[at + 2] = (v >>> 8) & 0xff;
          b[at + 3] = v & 0xff;
        }
        break;
      case 6: {
        // duplicate a chunk
        if (!b.length) break;
        const s = r(b.length);
        const e = s + r(b.length - s + 1);
        const chunk = b.slice(s, e);
        const n = new Uint8Array(b.length + chunk.length);
        n.set(b.subarray(0, e));
        n.set(chunk, e);
        n.set(b.subarray(e), e + chunk.length);
        b = n;
        break;
      }
      case 7: {
        // splice with another seed
        const other = seeds[r(seeds.length)]!;
        const cut = r(b.length + 1);
        const from = r(other.length + 1);
        const n = new Uint8Array(cut + other.length - from);
        n.set(b.subarray(0, cut));
        n.set(other.subarray(from), cut);
        b = n;
        break;
      }
      default: // random byte
        if (b.length) b[r(b.length)] = r(256);
    }
  }
  return b;
}

/**
 * Feeds random and mutated inputs to a total decoder. Fails the test if the decoder throws, returns something
 * that is not a Result, or reports an 'internal' error (an exception that escaped the parser's own checks).
 * `check` may assert properties of successful decodes (e.g. re-encode round trip).
 */
export function fuzzDecoder<T>(
  name: string,
  decode: (input: Uint8Array) => Result<T, DecodeError>,
  seeds: readonly Uint8Array[],
  opts: FuzzOptions & { readonly check?: (value: T, input: Uint8Array) => void } = {},
): FuzzStats {
  const iterations = Number(process.env.FUZZ_ITERATIONS ?? opts.iterations ?? 100_000);
  const seed = Number(process.env.FUZZ_SEED ?? opts.seed ?? 0x5eed);
  const rand = prng(seed);
  const maxLen = opts.maxRandomLength ?? 256;
  const mutateShare = seeds.length ? (opts.mutateShare ?? 0.8) : 0;
  let okCount = 0;
  const errors: Record<string, number> = {};
  for (let i = 0; i < iterations; i++) {
    let input: Uint8Array;
    if (rand() < mutateShare) {
      input = mutate(rand, seeds[Math.floor(rand() * seeds.length)]!, seeds);
    } else {
      input = new Uint8Array(Math.floor(rand() * maxLen));
      for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
    }
    let res: Result<T, DecodeError>;
    try {
      res = decode(input);
    } catch (e) {
      throw new Error(
        `${name}: decoder threw on input #${i} (seed ${seed}) ${Buffer.from(input).toString('hex')}: ${String(e)}`,
      );
    }
    if (res.ok) {
      okCount++;
      opts.check?.(res.value, input);
    } else {
      if (res.error.code === 'internal') {
        throw new Error(
          `${name}: internal error on input #${i} (seed ${seed}) ${Buffer.from(input).toString('hex')}: ${res.error.message}`,
        );
      }
      errors[res.error.code] = (errors[res.error.code] ?? 0) + 1;
    }
  }
  const total = okCount + Object.values(errors).reduce((a, b) => a + b, 0);
  expect(total).toBe(iterations);
  return { iterations, ok: okCount, errors, seed };
}
