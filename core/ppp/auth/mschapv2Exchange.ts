/** One MS-CHAPv2 exchange seen from the client (RFC 2759 §4–5), shared by PPP CHAP and EAP-MSCHAPv2. */
import { equalBytes } from '../../common/bytes';
import type { RandomSource } from '../../common/random';
import type { LegacyPrimitives } from '../crypto/legacy';
import {
  clientMppeKeys,
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
} from '../crypto/mschapv2';
import { decodeMsChapSuccess } from './mschapMessages';

export type SuccessCheck =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly reason: 'missing' | 'mismatch' };

export class MsChapV2Exchange {
  private readonly passwordHash: Uint8Array;
  private expected: Uint8Array | null = null;
  private lastNtResponse: Uint8Array | null = null;

  constructor(
    private readonly primitives: LegacyPrimitives,
    private readonly username: string,
    password: string,
    private readonly random: RandomSource,
  ) {
    this.passwordHash = ntPasswordHash(primitives, password);
  }

  /** The 49-byte Response value: Peer-Challenge, 8 reserved zero bytes, NT-Response, Flags 0 (RFC 2759 §4). */
  respond(authenticatorChallenge: Uint8Array): Uint8Array {
    const peerChallenge = this.random(16).slice(0, 16);
    const nt = generateNtResponse(
      this.primitives,
      authenticatorChallenge,
      peerChallenge,
      this.username,
      this.passwordHash,
    );
    this.expected = generateAuthenticatorResponse(
      this.primitives,
      this.passwordHash,
      nt,
      peerChallenge,
      authenticatorChallenge,
      this.username,
    );
    this.lastNtResponse = nt;
    const value = new Uint8Array(49);
    value.set(peerChallenge, 0);
    value.set(nt, 24);
    return value;
  }

  /** RFC 2759 §5: the client MUST check the server's "S=" authenticator response. */
  checkSuccess(message: Uint8Array): SuccessCheck {
    const parsed = decodeMsChapSuccess(message);
    if (!parsed.ok || this.expected === null) return { ok: false, reason: 'missing' };
    if (!equalBytes(parsed.value.authenticatorResponse, this.expected))
      return { ok: false, reason: 'mismatch' };
    return { ok: true, message: parsed.value.message };
  }

  /** RFC 3079 §3.4 start keys of the last exchange (for MPPE or an EAP MSK); null before any response. */
  mppeKeys(): { readonly send: Uint8Array; readonly receive: Uint8Array } | null {
    return this.lastNtResponse
      ? clientMppeKeys(this.primitives, this.passwordHash, this.lastNtResponse)
      : null;
  }

  /** Overwrites the password hash (the exchange is over). */
  wipe(): void {
    this.passwordHash.fill(0);
  }
}
