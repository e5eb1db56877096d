/** 16-bit sequence number arithmetic (RFC 2661 §5.8: Ns/Nr wrap modulo 2^16). */

export function seqAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}

/** Forward distance from `from` to `to`, in [0, 65535]. */
export function seqDistance(to: number, from: number): number {
  return (to - from) & 0xffff;
}

/** True when `a` comes before `b` in the 32768-wide half window (RFC 2661 §5.8). */
export function seqBefore(a: number, b: number): boolean {
  const d = seqDistance(b, a);
  return d !== 0 && d < 0x8000;
}
