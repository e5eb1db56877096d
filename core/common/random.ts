import { randomBytes } from 'node:crypto';

/** Injected randomness: cookies, nonces, IVs, DH secrets, magic numbers, challenges. */
export type RandomSource = (n: number) => Uint8Array;

export const systemRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

/** Random unsigned 32-bit integer from a RandomSource. */
export function randomU32(random: RandomSource): number {
  const b = random(4);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** Random integer in [0, n) for small n. */
export function randomBelow(random: RandomSource, n: number): number {
  return randomU32(random) % n;
}
