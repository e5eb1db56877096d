/**
 * RFC 6238 TOTP (HMAC-SHA-1, 30 s step, 6 digits) and RFC 4648 base32, for tests that play the user's
 * authenticator app against the lab's FreeRADIUS (rlm_totp checks the same algorithm, current step only).
 */
import { createHmac, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const TOTP_STEP_SECONDS = 30;

/** RFC 4648 §6 base32 without padding (what rlm_totp's TOTP-Secret holds). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/=+$/, '')) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new Error('base32: invalid character');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/** A fresh shared secret (20 random bytes, as authenticator apps use), base32. */
export const newTotpSecret = (): string => base32Encode(randomBytes(20));

/** RFC 4226 §5.3 HOTP value for `counter` with `digits` digits. */
export function hotp(key: Uint8Array, counter: bigint, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor(unix time / step). */
export const totpStep = (unixMs: number): bigint => BigInt(Math.floor(unixMs / 1000 / TOTP_STEP_SECONDS));

/** The TOTP code for the base32 `secret` at `unixMs` (default now), `stepOffset` steps away (-1 = stale). */
export function totp(secret: string, unixMs = Date.now(), stepOffset = 0, digits = 6): string {
  return hotp(base32Decode(secret), totpStep(unixMs) + BigInt(stepOffset), digits);
}

/** Milliseconds left in the current 30 s step. */
export const msLeftInStep = (unixMs = Date.now()): number =>
  TOTP_STEP_SECONDS * 1000 - (unixMs % (TOTP_STEP_SECONDS * 1000));

/**
 * The current code once at least `minMs` of its step remain (waits for the next step otherwise), so the server
 * — which accepts the current step only — still sees the same step when the request arrives.
 */
export async function freshTotp(
  secret: string,
  minMs = 12_000,
): Promise<{ code: string; validForMs: number }> {
  const left = msLeftInStep();
  if (left < minMs) await new Promise((r) => setTimeout(r, left + 50));
  return { code: totp(secret), validForMs: msLeftInStep() };
}
